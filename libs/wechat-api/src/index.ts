export { type AccountClientOptions, createAccountClient } from './account-client.js';
export {
  type ApiPath,
  type DownloadedMedia,
  type MediaType,
  type MediaUpload,
  type WechatApiClient,
  type WechatApiClientOptions,
  createWechatApiClient,
} from './client.js';
export {
  type ErrcodeContext,
  type ErrorKind,
  type KnownErrcode,
  type PauseSpan,
  SEND_POLICY,
  type SendAction,
  type SendKind,
  type SendRule,
  classifyErrcode,
  isKnownErrcode,
} from './send-policy.js';
export { type SendVerdict, isRefused, judgeSend } from './send-verdict.js';
export {
  TOKEN_STORE_API,
  TokenStoreError,
  type TokenStoreErrorCode,
  type TransportErrorCode,
  WechatApiError,
  type WechatApiErrorCode,
  WechatErrcodeError,
  WechatTransportError,
} from './errors.js';
export type { ApiLogger } from './logger.js';
export {
  type AccessTokenResult,
  type StableTokenOptions,
  type TokenEndpointOptions,
  fetchAccessToken,
  fetchStableAccessToken,
} from './token-endpoints.js';
export {
  type TokenSource,
  type TokenStore,
  type TokenStoreKeys,
  type TokenStoreOptions,
  type TokenStoreRedis,
  createTokenStore,
} from './token-store.js';
