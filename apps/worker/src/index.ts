export { loadHandlers } from './load-handlers.js';
export { type RunningWorker, type WorkerDeps, startWorker } from './worker.js';
