export type { Middleware, Next } from './handlers/compose.js';
export type { HandlerContext, ReplyHelpers, ReplyOptions } from './handlers/context.js';
export { type Handler, type Handlers, type Router, defineHandlers } from './handlers/define.js';
export { demoHandlers } from './handlers/demo.js';
export { type PerUserRateLimitOptions, logMessages, perUserRateLimit } from './handlers/middleware.js';
export { loadHandlers } from './handlers/load.js';
export { type RunningWorker, type WorkerDeps, startWorker } from './worker.js';
