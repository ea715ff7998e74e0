import type { Account, WorkerConfig } from '@wxq/config';
import { WechatErrcodeError, WechatTransportError, fetchStableAccessToken } from '@wxq/wechat-api';
import { type CheckResult, describeError, fail, ok, warn } from './check.js';

// The console's page for AppID, AppSecret and the IP whitelist (docs/wechat-protocol.md §5.5, §6.3).
const CONSOLE = '公众号后台 → 设置与开发 → 基本配置';

/**
 * Whether the account's AppSecret gets an access_token. Uses stable_token in normal mode, which
 * hands out the current token without replacing it (docs/wechat-protocol.md §6.1): the workers'
 * token keeps working. Answers the token for later checks; never prints it.
 */
export async function checkToken(
  config: WorkerConfig,
  account: Account,
): Promise<{ result: CheckResult; accessToken?: string }> {
  const { appId } = account;
  if (config.api.tokenReadOnly) {
    return {
      result: warn(
        `${appId}: WECHAT_TOKEN_READ_ONLY: another system owns the access_token, the AppSecret is not checked`,
        'make sure that system keeps the token in Redis (docs/deploy.md, access_token ownership)',
      ),
    };
  }
  try {
    const token = await fetchStableAccessToken({
      baseUrl: config.api.baseUrl,
      appId,
      appSecret: account.appSecret ?? '',
      timeoutMs: config.api.timeoutMs,
      forceRefresh: false,
    });
    return { result: ok(`${appId}: the AppSecret gets an access_token`), accessToken: token.accessToken };
  } catch (err) {
    return { result: tokenFailure(appId, err, config.api.baseUrl) };
  }
}

function tokenFailure(appId: string, err: unknown, baseUrl: string): CheckResult {
  if (err instanceof WechatErrcodeError) {
    switch (err.errcode) {
      case 40013:
        return fail(`${appId} is not an AppID WeChat knows (40013)`, `copy the AppID from ${CONSOLE}`);
      case 40001:
      case 40125:
        return fail(
          `${appId}: wrong AppSecret (${err.errcode})`,
          `copy or reset the AppSecret in ${CONSOLE} and set WECHAT_APPSECRET`,
        );
      case 40164: {
        const ip = /invalid ip ([^\s,]+)/.exec(err.errmsg)?.[1] ?? 'this server’s address';
        return fail(
          `${appId}: this server's IP ${ip} is not on the account's IP whitelist (40164)`,
          `add ${ip} to the IP whitelist (${CONSOLE} → IP白名单)`,
        );
      }
      default:
        return fail(
          `${appId}: the token endpoint answered errcode ${err.errcode}: ${err.errmsg}`,
          'see docs/wechat-protocol.md §6.3',
        );
    }
  }
  const detail = err instanceof WechatTransportError ? `${err.code}, ${describeError(err)}` : describeError(err);
  return fail(
    `${appId}: the WeChat API at ${new URL(baseUrl).host} did not answer (${detail})`,
    'allow outgoing HTTPS to api.weixin.qq.com (or fix WECHAT_API_BASE_URL)',
  );
}
