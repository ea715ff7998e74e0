import type { Logger } from '@wxq/logging';
import { type RedisClient, type WxqKeys, loadScript } from '@wxq/redis';

/**
 * Account-level send pauses (docs/quota.md): 45009 (the daily API quota, docs/wechat-protocol.md
 * §7.5) pauses an account's sends until the quota resets at midnight Beijing time, 45011 (the
 * per-minute limit) until the next minute, an operator (`npm run ops -- pause`) until resumed.
 * Jobs wait in "delayed" meanwhile, without spending attempts; other accounts are untouched.
 * `resume` lifts any of them.
 */
export interface SendPause {
  /** Until when the account's sends are paused (epoch ms, {@link UNTIL_RESUMED} for an operator's), or undefined. */
  pausedUntil(appId: string): Promise<number | undefined>;
  /**
   * Pauses the account's sends until midnight Beijing time (`day`, a 45009) or the next minute
   * (`minute`, a 45011); logs once per pause, across workers. Answers the pause's end.
   */
  pause(appId: string, span: 'day' | 'minute', log: Logger): Promise<number>;
  /** An operator's pause: the account's sends wait until {@link SendPause.resume}, whatever WeChat says meanwhile. */
  pauseUntilResumed(appId: string): Promise<void>;
  /** Lifts the account's pause, whoever set it; answers whether there was one. */
  resume(appId: string): Promise<boolean>;
}

/**
 * The until-time of an operator's pause: the latest time a Date holds. A time rather than a flag,
 * so workers that only know until-times (a rolling deploy) hold the sends too, and a 45009 or
 * 45011 meanwhile never shortens it.
 */
export const UNTIL_RESUMED = 8.64e15;

const BEIJING_OFFSET_MS = 8 * 3600 * 1000;
const DAY_MS = 24 * 3600 * 1000;

/** The next midnight in Beijing (UTC+8, no daylight saving) after `now`. */
export function nextBeijingMidnight(now: number): number {
  return (Math.floor((now + BEIJING_OFFSET_MS) / DAY_MS) + 1) * DAY_MS - BEIJING_OFFSET_MS;
}

// Each script's KEYS, ARGV, answer and the race it closes: the header of its file in lua/.
const PAUSE_UNTIL_LATER = loadScript(new URL('./lua/send-pause-until-later.lua', import.meta.url));

/**
 * The pause key of every account, `<prefix>:pause:<appid>` (libs/redis keys.ts), or the key
 * `keyOf` names: the notifications' own pause (`keys.notificationPause`), which a 45009 on
 * template sends sets without holding the account's replies to users.
 */
export function createSendPause(
  redis: RedisClient,
  keys: WxqKeys,
  now: () => number = Date.now,
  keyOf: (appId: string) => string = keys.sendPause,
): SendPause {
  return {
    async pausedUntil(appId) {
      const until = Number(await redis.get(keyOf(appId)));
      return until > now() ? until : undefined;
    },
    async pause(appId, span, log) {
      const at = now();
      const until = span === 'day' ? nextBeijingMidnight(at) : (Math.floor(at / 60_000) + 1) * 60_000;
      const first = await PAUSE_UNTIL_LATER.run<number>(redis, [keyOf(appId)], [until, until - at]);
      if (first === 1) {
        log.warn(
          { appId, span, until: new Date(until).toISOString() },
          span === 'day' ? 'daily API quota reached: sends paused' : 'per-minute limit reached: sends paused',
        );
      }
      return until;
    },
    async pauseUntilResumed(appId) {
      // No expiry: it lasts until an operator resumes.
      await redis.set(keyOf(appId), String(UNTIL_RESUMED));
    },
    async resume(appId) {
      return (await redis.del(keyOf(appId))) > 0;
    },
  };
}
