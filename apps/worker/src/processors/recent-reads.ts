import type { Logger } from '@wxq/logging';
import type { Campaigns } from '@wxq/notify';
import type { SendPause } from '@wxq/quota';
import { LRUCache } from 'lru-cache';

// What every notification send looks at besides its own record, its campaign's status and the
// notifications' pause, read once per process every READ_EVERY_MS rather than once per send: a
// campaign's sends all ask the same two questions, and at 100 sends a second per worker the two
// reads were a quarter of the worker's Redis commands per send (docs/notifications.md). The cost:
// a pause, cancel or resume reaches a worker up to READ_EVERY_MS late, so a few sends under way
// at a pause still go. A 45009 this worker meets is seen at once (`pause` writes it here too).

/** How stale a campaign status or pause a send may act on. */
const READ_EVERY_MS = 250;
/** Campaigns and accounts remembered at once: more than a deployment runs at a time. */
const MAX_ENTRIES = 10_000;

/**
 * `read`'s answers kept READ_EVERY_MS each. Setting or forgetting a key aborts a read of it under
 * way (lru-cache), whose callers then read again rather than fail: what was set must not be
 * overwritten by a read that began before it.
 */
function remembered<V>(read: (key: string) => Promise<V>) {
  // Wrapped: the cache stores no undefined, and "none" is an answer too.
  const cache = new LRUCache<string, { readonly value: V }>({
    max: MAX_ENTRIES,
    ttl: READ_EVERY_MS,
    fetchMethod: async (key) => ({ value: await read(key) }),
  });
  return {
    async get(key: string): Promise<V> {
      let kept: { readonly value: V } | undefined;
      try {
        kept = await cache.fetch(key);
      } catch {
        // Aborted by a set or delete, or the read failed: once more, without the cache.
        return read(key);
      }
      return kept === undefined ? read(key) : kept.value;
    },
    peek: (key: string): V | undefined => cache.get(key)?.value,
    set: (key: string, value: V) => cache.set(key, { value }),
    forget: (key: string) => cache.delete(key),
  };
}

/**
 * Campaigns.statusOf at most READ_EVERY_MS old; a campaign this process fails (40037, 43116) it
 * sees failed at once, so its other sends here make no more calls.
 */
export function recentCampaigns(campaigns: Pick<Campaigns, 'statusOf' | 'fail'>): Pick<Campaigns, 'statusOf' | 'fail'> {
  const statuses = remembered((id) => campaigns.statusOf(id));
  return {
    statusOf: (id) => statuses.get(id),
    async fail(id, errcode) {
      await campaigns.fail(id, errcode);
      statuses.forget(id);
    },
  };
}

/** A SendPause whose `pausedUntil` is at most READ_EVERY_MS old; what this process changes it sees at once. */
export function recentSendPause(pause: SendPause, now: () => number = Date.now): SendPause {
  // The pause's end, 0 for none: kept as read, judged against the clock when asked.
  const ends = remembered(async (appId) => (await pause.pausedUntil(appId)) ?? 0);
  return {
    async pausedUntil(appId) {
      const until = await ends.get(appId);
      return until > now() ? until : undefined;
    },
    async pause(appId: string, span: 'day' | 'minute', log: Logger) {
      const until = await pause.pause(appId, span, log);
      ends.set(appId, Math.max(until, ends.peek(appId) ?? 0));
      return until;
    },
    // Forgotten after the write: a read in between would remember the old pause.
    async pauseUntilResumed(appId) {
      await pause.pauseUntilResumed(appId);
      ends.forget(appId);
    },
    async resume(appId) {
      const lifted = await pause.resume(appId);
      ends.forget(appId);
      return lifted;
    },
  };
}
