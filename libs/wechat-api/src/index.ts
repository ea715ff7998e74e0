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
  type PauseScope,
  type PauseSpan,
  type RefusalCode,
  type SendAction,
  type SendKind,
  type SendRow,
  type SendRule,
  TOO_OFTEN_RETRY_AFTER_SECONDS,
} from './send-policy.js';
export { type SendVerdict, isRefused, judgeSend } from './send-verdict.js';
export {
  type TokenStoreError,
  type TokenStoreErrorCode,
  type TransportErrorCode,
  type WechatApiError,
  type WechatApiErrorCode,
  WechatErrcodeError,
  WechatTransportError,
} from './errors.js';
export type { ApiLogger } from './logger.js';
export {
  type AccessTokenResult,
  type StableTokenOptions,
  type TokenEndpointOptions,
  fetchStableAccessToken,
} from './token-endpoints.js';
export {
  type TokenSource,
  type TokenStore,
  type TokenStoreKeys,
  type TokenStoreOptions,
  type TokenStoreRedis,
} from './token-store.js';
