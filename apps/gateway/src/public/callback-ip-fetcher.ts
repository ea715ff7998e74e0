import type { GatewayConfig } from '@wxq/config';
import type { Logger } from '@wxq/logging';
import type { RedisClient, WxqKeys } from '@wxq/redis';
import { createTokenStore, createWechatApiClient, fetchAccessToken, fetchStableAccessToken } from '@wxq/wechat-api';

/**
 * getcallbackip per account through the API client, on the access_token the workers share: the
 * same Redis key and refresh lock, so gateways and workers together stay one owner per appid
 * (docs/wechat-protocol.md §6.2).
 */
export function createCallbackIpFetcher(
  config: GatewayConfig,
  redis: RedisClient,
  keys: WxqKeys,
  log: Logger,
): (appId: string) => Promise<readonly string[]> {
  const { baseUrl, timeoutMs, stableToken, tokenReadOnly } = config.api;
  const clients = new Map(
    config.accounts.map((account) => {
      const appSecret = account.appSecret ?? '';
      const tokens = createTokenStore({
        redis,
        appId: account.appId,
        keys: { token: keys.accessToken(account.appId), lock: keys.tokenLock(account.appId) },
        readOnly: tokenReadOnly,
        logger: log,
        fetchToken: () =>
          stableToken
            ? fetchStableAccessToken({ baseUrl, appId: account.appId, appSecret, timeoutMs, forceRefresh: false })
            : fetchAccessToken({ baseUrl, appId: account.appId, appSecret, timeoutMs }),
      });
      return [account.appId, createWechatApiClient({ baseUrl, tokens, timeoutMs, logger: log })] as const;
    }),
  );
  return async (appId) => {
    const client = clients.get(appId);
    if (client === undefined) throw new Error(`no account ${appId}`);
    return client.getCallbackIp();
  };
}
