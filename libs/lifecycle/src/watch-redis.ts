import type { Logger } from '@wxq/logging';

/** What watchRedis listens to: an ioredis client or Cluster. */
interface RedisEvents {
  on(event: 'error', listener: (err: Error) => void): unknown;
  on(event: 'ready', listener: () => void): unknown;
}

/**
 * Logs a Redis outage once, with what the process does meanwhile (`whileDown`), and its end.
 * During an outage ioredis reports every reconnect attempt; one line per outage is enough.
 */
export function watchRedis(redis: RedisEvents, log: Logger, whileDown: string): void {
  let healthy = true;
  redis.on('error', (err: Error) => {
    if (healthy) log.error({ err }, `redis unavailable: ${whileDown}`);
    healthy = false;
  });
  redis.on('ready', () => {
    if (!healthy) log.info('redis available again');
    healthy = true;
  });
}
