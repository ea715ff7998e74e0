export { type Account, type ReplyMode } from './accounts.js';
export { ConfigError, type ConfigIssue } from './config-error.js';
export { compileIpList } from './ip-list.js';
export type { ApiConfig } from './api-config.js';
export { type GatewayConfig, type IpAllowlistConfig, loadGatewayConfig } from './gateway-config.js';
export type { RedisConfig } from './redis-config.js';
export { type AppConfig, replyModeOf } from './app-config.js';
export { type NotifyApiConfig, loadNotifyApiConfig } from './notify-api-config.js';
export { type WorkerConfig, loadWorkerConfig } from './worker-config.js';
