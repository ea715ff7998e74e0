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

type CampaignStatus = Awaited<ReturnType<Campaigns['statusOf']>>;

/**
 * Campaigns.statusOf at most READ_EVERY_MS old; a campaign this process fails (40037, 43116) it
 * sees failed at once, so its other sends here make no more calls.
 */
export function recentCampaigns(campaigns: Pick<Campaigns, 'statusOf' | 'fail'>): Pick<Campaigns, 'statusOf' | 'fail'> {
  // Wrapped: the cache stores no undefined, and "no such campaign" is an answer too.
  const cache = new LRUCache<string, { readonly status: CampaignStatus }>({
    max: MAX_ENTRIES,
    ttl: READ_EVERY_MS,
    fetchMethod: async (id) => ({ status: await campaigns.statusOf(id) }),
  });
  return {
    async statusOf(id) {
      return (await cache.fetch(id))?.status;
    },
    async fail(id, errcode) {
      await campaigns.fail(id, errcode);
      cache.delete(id);
    },
  };
}

/** A SendPause whose `pausedUntil` is at most READ_EVERY_MS old; what this process changes it sees at once. */
export function recentSendPause(pause: SendPause, now: () => number = Date.now): SendPause {
  // The pause's end, 0 for none: kept as read, judged against the clock when asked.
  const cache = new LRUCache<string, { readonly until: number }>({
    max: MAX_ENTRIES,
    ttl: READ_EVERY_MS,
    fetchMethod: async (appId) => ({ until: (await pause.pausedUntil(appId)) ?? 0 }),
  });
  return {
    async pausedUntil(appId) {
      const until = (await cache.fetch(appId))?.until ?? 0;
      return until > now() ? until : undefined;
    },
    async pause(appId: string, span: 'day' | 'minute', log: Logger) {
      const until = await pause.pause(appId, span, log);
      cache.set(appId, { until: Math.max(until, cache.get(appId)?.until ?? 0) });
      return until;
    },
    // Forgotten after the write: a read in between would remember the old pause.
    async pauseUntilResumed(appId) {
      await pause.pauseUntilResumed(appId);
      cache.delete(appId);
    },
    async resume(appId) {
      const lifted = await pause.resume(appId);
      cache.delete(appId);
      return lifted;
    },
  };
}
