export type { Middleware, Next } from './compose.js';
export {
  type ContextDeps,
  type HandlerContext,
  type NotifyHelpers,
  type NotifyOptions,
  type RecordedNotification,
  type ReplyHelpers,
  type ReplyOptions,
  createContext,
} from './context.js';
export { type Handler, type Handlers, type Router, defineHandlers, isHandlers } from './define.js';
export { demoHandlers } from './demo.js';
export { type PerUserRateLimitOptions, logMessages, perUserRateLimit } from './middleware.js';
