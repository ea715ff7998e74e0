import type { GatewayConfig } from '@wxq/config';
import type { Logger } from '@wxq/logging';
import type { RedisClient, WxqKeys } from '@wxq/redis';
import { createAccountClient } from '@wxq/wechat-api';

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
  const clients = new Map(
    config.accounts.map(({ appId, appSecret }) => {
      const client = createAccountClient({
        ...config.api,
        appId,
        appSecret: appSecret ?? '',
        redis,
        keys: { token: keys.accessToken(appId), lock: keys.tokenLock(appId) },
        logger: log,
      });
      return [appId, client] as const;
    }),
  );
  return async (appId) => {
    const client = clients.get(appId);
    if (client === undefined) throw new Error(`no account ${appId}`);
    return client.getCallbackIp();
  };
}
