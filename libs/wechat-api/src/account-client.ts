import { type WechatApiClient, createWechatApiClient } from './client.js';
import type { ApiLogger } from './logger.js';
import { type AccessTokenResult, fetchAccessToken, fetchStableAccessToken } from './token-endpoints.js';
import { type TokenStoreKeys, type TokenStoreRedis, createTokenStore } from './token-store.js';

export interface AccountClientOptions {
  readonly baseUrl: string;
  readonly appId: string;
  readonly appSecret: string;
  readonly timeoutMs: number;
  /** Mint tokens from stable_token rather than token (docs/wechat-protocol.md §6.1). */
  readonly stableToken: boolean;
  /** Another system owns the appid's token: only read it from Redis. */
  readonly tokenReadOnly: boolean;
  readonly redis: TokenStoreRedis;
  readonly keys: TokenStoreKeys;
  readonly logger: ApiLogger;
  /** Told of each token fetch this process makes, once it succeeded or failed (for metrics). */
  readonly onTokenFetch?: (result: 'ok' | 'error') => void;
}

/**
 * One account's API client on the token store every gateway and worker shares for that appid (one
 * Redis key and refresh lock, so there is one owner per appid: docs/wechat-protocol.md §6.2).
 */
export function createAccountClient(options: AccountClientOptions): WechatApiClient {
  const { baseUrl, appId, appSecret, timeoutMs, stableToken, logger, onTokenFetch } = options;
  const fetchToken = (): Promise<AccessTokenResult> =>
    stableToken
      ? fetchStableAccessToken({ baseUrl, appId, appSecret, timeoutMs, forceRefresh: false })
      : fetchAccessToken({ baseUrl, appId, appSecret, timeoutMs });
  const tokens = createTokenStore({
    redis: options.redis,
    appId,
    keys: options.keys,
    readOnly: options.tokenReadOnly,
    logger,
    fetchToken:
      onTokenFetch === undefined
        ? fetchToken
        : async () => {
            try {
              const token = await fetchToken();
              onTokenFetch('ok');
              return token;
            } catch (err) {
              onTokenFetch('error');
              throw err;
            }
          },
  });
  return createWechatApiClient({ baseUrl, tokens, timeoutMs, logger });
}
