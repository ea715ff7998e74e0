export { loadHandlers } from './load-handlers.js';
export type { SendResult, WorkerMetrics } from './metrics.js';
export {
  type RunningWorker,
  type RunningWorkerWithAdmin,
  type WorkerDeps,
  startWorker,
  startWorkerWithAdmin,
} from './worker.js';
