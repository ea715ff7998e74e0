// Baseline: BullMQ's own worker with a processor that does nothing, at the same concurrency.
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';

const connection = new Redis(process.env['REDIS_URL'] ?? '', { maxRetriesPerRequest: null });
const worker = new Worker('noop', () => Promise.resolve(), {
  connection,
  prefix: process.env['WXQ_QUEUE_PREFIX'] ?? '{bench}',
  concurrency: Number(process.env['WORKER_CONCURRENCY'] ?? '50'),
});
process.stdout.write(`${JSON.stringify({ listening: 0 })}\n`);
process.once('SIGTERM', () => {
  void worker
    .close()
    .then(() => connection.quit())
    .then(() => process.exit(0));
});
