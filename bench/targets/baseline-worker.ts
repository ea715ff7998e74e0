// What the BullMQ baselines share: BullMQ's own worker on one queue, at the wxq worker's
// concurrency, reporting itself started and closing on SIGTERM.
import { type Processor, Worker } from 'bullmq';
import { Redis } from 'ioredis';

export function runBaselineWorker(queue: string, processor: Processor): void {
  const connection = new Redis(process.env['REDIS_URL'] ?? '', { maxRetriesPerRequest: null });
  const worker = new Worker(queue, processor, {
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
}
