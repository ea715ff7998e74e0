export { DEMO_HANDLERS, loadHandlers } from './load-handlers.js';
export type { WorkerMetrics } from './metrics.js';
export {
  type RunningWorker,
  type RunningWorkerWithAdmin,
  type WorkerDeps,
  startWorker,
  startWorkerWithAdmin,
} from './worker.js';
