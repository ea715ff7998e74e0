// Baseline: BullMQ's own worker with a processor that does nothing, at the same concurrency.
import { runBaselineWorker } from './baseline-worker.js';

runBaselineWorker('noop', () => Promise.resolve());
