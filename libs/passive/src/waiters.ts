import type { RedisClient } from '@wxq/redis';

/**
 * One Redis subscription per gateway process, shared by every push it holds: a push waits for
 * its wake-up key (its own reply, or anything new for its user) instead of polling. A wake-up is
 * only a hint to look again: one lost while the subscription reconnects costs the push its early
 * answer, never its reply, because the holder looks once more when its wait ends.
 */
export interface Watch {
  /** True when the key was published, false when the time passed (or the waiters closed) first. */
  readonly woken: Promise<boolean>;
  /** Stops watching (resolves `woken` with false). */
  stop(): void;
}

export interface ReplyWaiters {
  /**
   * Watches `key` for at most `timeoutMs`. Start the watch before looking at the state it is about,
   * so that a wake-up published in between is not missed.
   */
  watch(key: string, timeoutMs: number): Watch;
  /** Resolves once subscribed (never rejects: a failure went to `onError`). */
  readonly ready: Promise<void>;
  /** How many pushes wait now. */
  size(): number;
  /** Wakes every waiter (false) and closes the subscription. */
  close(): Promise<void>;
}

/**
 * Subscribes `subscriber` (a connection of its own, with an offline queue: a subscribed connection
 * takes no other command, and the subscription is sent once Redis is there and again after every
 * reconnect) to `channel`. A failed subscription goes to `onError`; pushes then answer at their deadline.
 */
export function createReplyWaiters(
  subscriber: RedisClient,
  channel: string,
  onError: (err: unknown) => void = () => undefined,
): ReplyWaiters {
  const waiting = new Map<string, Set<(woken: boolean) => void>>();
  let count = 0;
  subscriber.on('message', (from: string, key: string) => {
    if (from !== channel) return;
    const wakers = waiting.get(key);
    if (wakers === undefined) return;
    for (const wake of [...wakers]) wake(true);
  });
  const ready = subscriber.subscribe(channel).then(() => undefined, onError);

  return {
    watch(key, timeoutMs) {
      let stop: (woken: boolean) => void = () => undefined;
      const woken = new Promise<boolean>((resolve) => {
        const wakers = waiting.get(key) ?? new Set();
        waiting.set(key, wakers);
        count += 1;
        let done = false;
        const wake = (isWoken: boolean) => {
          if (done) return;
          done = true;
          clearTimeout(timer);
          wakers.delete(wake);
          if (wakers.size === 0) waiting.delete(key);
          count -= 1;
          resolve(isWoken);
        };
        const timer = setTimeout(() => {
          wake(false);
        }, timeoutMs);
        wakers.add(wake);
        stop = wake;
      });
      return {
        woken,
        stop: () => {
          stop(false);
        },
      };
    },
    ready,
    size: () => count,
    async close() {
      for (const wakers of [...waiting.values()]) for (const wake of [...wakers]) wake(false);
      await subscriber.quit().catch(() => undefined);
    },
  };
}
