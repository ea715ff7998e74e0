import type { Logger } from '@wxq/logging';
import { type RedisClient, type WxqKeys, createScript } from '@wxq/redis';

/**
 * Account-level send limits (docs/wechat-protocol.md §7.5): 45009 (the daily API quota) pauses an
 * account's sends until the quota resets at midnight Beijing time, 45011 (the per-minute limit)
 * until the next minute. Jobs wait in "delayed" meanwhile, without spending attempts; other
 * accounts are untouched. An operator lifts a pause by deleting its key.
 */
export interface SendPause {
  /** Until when the account's sends are paused (epoch ms), or undefined. */
  pausedUntil(appId: string): Promise<number | undefined>;
  /** Pauses the account's sends for `errcode`; logs once per pause, across workers. */
  pause(appId: string, errcode: 45009 | 45011, log: Logger): Promise<number>;
}

const BEIJING_OFFSET_MS = 8 * 3600 * 1000;
const DAY_MS = 24 * 3600 * 1000;

/** The next midnight in Beijing (UTC+8, no daylight saving) after `now`. */
export function nextBeijingMidnight(now: number): number {
  return (Math.floor((now + BEIJING_OFFSET_MS) / DAY_MS) + 1) * DAY_MS - BEIJING_OFFSET_MS;
}

/** Sets the pause unless one at least as long is there (a 45009 after a 45011 extends it); 1 when it did. */
const PAUSE_UNTIL_LATER = createScript(`local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if current >= tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1`);

export function createSendPause(redis: RedisClient, keys: WxqKeys, now: () => number = Date.now): SendPause {
  return {
    async pausedUntil(appId) {
      const until = Number(await redis.get(keys.sendPause(appId)));
      return until > now() ? until : undefined;
    },
    async pause(appId, errcode, log) {
      const at = now();
      const until = errcode === 45009 ? nextBeijingMidnight(at) : (Math.floor(at / 60_000) + 1) * 60_000;
      const first = await PAUSE_UNTIL_LATER.run<number>(redis, [keys.sendPause(appId)], [until, until - at]);
      if (first === 1) {
        log.warn(
          { appId, errcode, until: new Date(until).toISOString() },
          errcode === 45009 ? 'daily API quota reached: sends paused' : 'per-minute limit reached: sends paused',
        );
      }
      return until;
    },
  };
}
