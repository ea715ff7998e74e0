import { randomBytes, randomInt } from 'node:crypto';
import type { GatewayConfig } from '@wxq/config';
import { computeSignature } from '@wxq/wechat';
import { type CheckResult, describeError, fail, ok, warn } from './check.js';

/** WeChat waits 5 seconds for an answer (docs/wechat-protocol.md §5.1). */
const WECHAT_TIMEOUT_MS = 5_000;
const TLS_CODES = /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY/;

/**
 * The URL verification WeChat makes when the callback URL is saved (docs/wechat-protocol.md §1): a
 * signed GET through the public URL must echo `echostr`. One check covers DNS, the proxy, TLS, the
 * path and the Token. The URL `/wechat/<appid>` is that account's, any other the first account's.
 */
export async function checkHandshake(urlText: string, config: GatewayConfig): Promise<CheckResult[]> {
  let url: URL;
  try {
    url = new URL(urlText);
  } catch {
    return [fail('--url is not a URL', 'pass the callback URL set in the console, e.g. https://your.domain/wechat')];
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return [fail(`--url must be http:// or https://, not ${url.protocol}`, 'pass the callback URL set in the console')];
  }
  const shown = `${url.origin}${url.pathname}`;
  const results: CheckResult[] = [];
  const port = url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port);
  if (port !== 80 && port !== 443) {
    results.push(
      warn(`${shown}: WeChat calls only ports 80 and 443 (docs/wechat-protocol.md §5.5)`, 'put the proxy on 80/443'),
    );
  }
  const appId = /\/wechat\/(wx[0-9a-f]{16})\/?$/i.exec(url.pathname)?.[1];
  const account =
    appId === undefined
      ? config.accounts[0]
      : config.accounts.find((a) => a.appId.toLowerCase() === appId.toLowerCase());
  if (account?.token === undefined) {
    return [
      ...results,
      fail(`${shown}: no configured account ${appId ?? ''} to sign for`, 'check the URL and WXQ_ACCOUNTS_FILE'),
    ];
  }
  const timestamp = String(Math.floor(Date.now() / 1000));
  const nonce = String(randomInt(1e9, 1e10));
  const echostr = randomBytes(9).toString('hex');
  const signed = new URL(url);
  signed.searchParams.set('signature', computeSignature([account.token, timestamp, nonce]));
  signed.searchParams.set('timestamp', timestamp);
  signed.searchParams.set('nonce', nonce);
  signed.searchParams.set('echostr', echostr);
  let status: number;
  let body: string;
  try {
    const answer = await fetch(signed, { signal: AbortSignal.timeout(WECHAT_TIMEOUT_MS), redirect: 'manual' });
    status = answer.status;
    body = (await answer.text()).slice(0, 200);
  } catch (err) {
    const reason = describeError(err);
    const fix = TLS_CODES.test(reason)
      ? 'WeChat needs a certificate from a public CA, valid for this host name, with its full chain'
      : reason === 'ENOTFOUND'
        ? 'the host name does not resolve: fix DNS'
        : reason === 'TimeoutError' || reason.includes('timeout') || reason.includes('aborted')
          ? 'nothing answered within WeChat’s 5 s: check the proxy and the gateway'
          : 'is the proxy running and reachable from the internet on that port?';
    return [...results, fail(`${shown}: no answer (${reason})`, fix)];
  }
  results.push(handshakeVerdict(shown, account.appId, status, body, echostr));
  return results;
}

function handshakeVerdict(shown: string, appId: string, status: number, body: string, echostr: string): CheckResult {
  if (status === 200 && body === echostr) {
    return ok(`${shown}: a signed handshake for ${appId} echoes (proxy, TLS, path and Token agree)`);
  }
  if (status === 200) {
    return fail(
      `${shown}: answered 200 without the echostr: something other than the gateway serves it`,
      'route the path to the gateway',
    );
  }
  if (status >= 300 && status < 400) {
    return fail(
      `${shown}: redirected (${status}); WeChat does not follow redirects`,
      'serve the callback URL directly',
    );
  }
  if (status === 401) {
    return fail(
      `${shown}: the gateway refused the signature (401)`,
      'WECHAT_TOKEN must be the Token set in the console, on gateways and here',
    );
  }
  if (status === 403) {
    return fail(
      `${shown}: forbidden (403): this host is not on WECHAT_IP_ALLOWLIST (or the proxy refuses it)`,
      'run doctor --url from an allowed address, or check the proxy',
    );
  }
  if (status === 404) {
    return fail(
      `${shown}: 404: the proxy does not send this path to the gateway`,
      'proxy /wechat and /wechat/<appid> (deploy/nginx.conf)',
    );
  }
  if (status >= 500) {
    return fail(
      `${shown}: ${status}: the proxy answers but the gateway does not`,
      'check that gateways run and the proxy reaches them',
    );
  }
  return fail(`${shown}: answered ${status}`, 'the URL must reach the gateway');
}
