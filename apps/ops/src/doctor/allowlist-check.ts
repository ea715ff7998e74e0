import { type BlockList, isIPv4 } from 'node:net';
import { type IpAllowlistConfig, compileIpList } from '@wxq/config';
import { createWechatApiClient } from '@wxq/wechat-api';
import { type CheckResult, describeError, fail, ok, warn } from './check.js';

/**
 * WECHAT_IP_ALLOWLIST against the addresses WeChat pushes from (getcallbackip, docs/wechat-protocol.md
 * §5.5): a push from an address not on the list is refused with 403, and WeChat's list changes.
 */
export async function checkAllowlist(
  allowlist: IpAllowlistConfig,
  api: { readonly baseUrl: string; readonly timeoutMs: number; readonly accessToken: string | undefined },
): Promise<CheckResult> {
  if (allowlist.mode === 'static' && allowlist.cidrs.length === 0) {
    return ok('no WECHAT_IP_ALLOWLIST: pushes are taken from any address (signatures are still checked)');
  }
  const { accessToken } = api;
  if (accessToken === undefined) {
    return warn(
      'WECHAT_IP_ALLOWLIST not compared with getcallbackip: no access_token',
      'fix the AppSecret check above',
    );
  }
  let wechatIps: string[];
  try {
    const client = createWechatApiClient({
      baseUrl: api.baseUrl,
      timeoutMs: api.timeoutMs,
      tokens: { getToken: () => Promise.resolve(accessToken), invalidate: () => Promise.resolve() },
    });
    wechatIps = await client.getCallbackIp();
  } catch (err) {
    return fail(`getcallbackip failed (${describeError(err)})`, 'see docs/wechat-protocol.md §5.5');
  }
  if (allowlist.mode === 'auto') {
    return ok(
      `WECHAT_IP_ALLOWLIST=auto: the gateways refresh it from getcallbackip, which lists ${wechatIps.length} addresses now`,
    );
  }
  const list = compileIpList(allowlist.cidrs);
  const missing = wechatIps.filter((entry) => !covers(list, entry));
  if (missing.length === 0) {
    return ok(`WECHAT_IP_ALLOWLIST covers all ${wechatIps.length} of WeChat's push addresses`);
  }
  return fail(
    `WECHAT_IP_ALLOWLIST misses ${missing.length} of WeChat's ${wechatIps.length} push addresses (${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', ...' : ''}): their pushes get 403`,
    'refresh the list from getcallbackip, set WECHAT_IP_ALLOWLIST=auto, or unset it',
  );
}

/** An address, or a whole IPv4 range (its first and last address: the list is made of ranges too). */
function covers(list: BlockList, entry: string): boolean {
  try {
    return coversRange(list, entry);
  } catch {
    // Not an address WeChat should send: it cannot be on the list either.
    return false;
  }
}

function coversRange(list: BlockList, entry: string): boolean {
  const [address = '', bits] = entry.split('/');
  if (!isIPv4(address)) return list.check(address, 'ipv6');
  if (bits === undefined) return list.check(address, 'ipv4');
  const size = 2 ** (32 - Number(bits));
  const start = Math.floor(toNumber(address) / size) * size;
  return list.check(toIp(start), 'ipv4') && list.check(toIp(start + size - 1), 'ipv4');
}

function toNumber(ip: string): number {
  return ip.split('.').reduce((n, part) => n * 256 + Number(part), 0);
}

function toIp(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
}
