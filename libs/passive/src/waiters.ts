import type { RedisClient } from '@wxq/redis';

/**
 * One Redis subscription per gateway process, shared by every push it holds: a push waits for
 * its wake-up key (its own reply, or anything new for its user) instead of polling. A wake-up is
 * only a hint to look again: one lost while the subscription reconnects costs the push its early
 * answer, never its reply, because the holder looks once more when its wait ends.
 */
export interface ReplyWaiters {
  /** Resolves true when `key` is published, false when `timeoutMs` passes (or the waiters close) first. */
  wait(key: string, timeoutMs: number): Promise<boolean>;
  /** How many pushes wait now. */
  size(): number;
  /** Wakes every waiter (false) and closes the subscription. */
  close(): Promise<void>;
}

export async function createReplyWaiters(subscriber: RedisClient, channel: string): Promise<ReplyWaiters> {
  const waiting = new Map<string, Set<(woken: boolean) => void>>();
  let count = 0;
  subscriber.on('message', (from: string, key: string) => {
    if (from !== channel) return;
    const wakers = waiting.get(key);
    if (wakers === undefined) return;
    for (const wake of [...wakers]) wake(true);
  });
  await subscriber.subscribe(channel);

  return {
    wait(key, timeoutMs) {
      return new Promise((resolve) => {
        const wakers = waiting.get(key) ?? new Set();
        waiting.set(key, wakers);
        count += 1;
        const wake = (woken: boolean) => {
          clearTimeout(timer);
          wakers.delete(wake);
          if (wakers.size === 0) waiting.delete(key);
          count -= 1;
          resolve(woken);
        };
        const timer = setTimeout(() => {
          wake(false);
        }, timeoutMs);
        wakers.add(wake);
      });
    },
    size: () => count,
    async close() {
      for (const wakers of [...waiting.values()]) for (const wake of [...wakers]) wake(false);
      await subscriber.quit().catch(() => undefined);
    },
  };
}
