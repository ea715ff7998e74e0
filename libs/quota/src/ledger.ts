import { type RedisClient, type RedisScript, loadScript } from '@wxq/redis';
import {
  EVENT_WINDOW_MS,
  type GrantKind,
  MESSAGE_WINDOW_MS,
  type QuotaRules,
  TYPING_INTERACTION_MS,
  TYPING_SHOWS_MS,
} from './grants.js';

// One hash per (appid, openid): for each kind of window (m = message, e = event) the sends left
// and until when (epoch ms), the last interaction (for typing) and until when Typing shows.
// Every change is one script, so workers on many machines never spend one send twice.

// Each script's KEYS, ARGV, answer and the race it closes: the header of its file in lua/.
const GRANT = loadScript(new URL('./lua/ledger-grant.lua', import.meta.url));
const RESERVE = loadScript(new URL('./lua/ledger-reserve.lua', import.meta.url));
const REFUND = loadScript(new URL('./lua/ledger-refund.lua', import.meta.url));
const CORRECT = loadScript(new URL('./lua/ledger-correct.lua', import.meta.url));
const TYPING = loadScript(new URL('./lua/ledger-typing.lua', import.meta.url));

/** What a user's windows allow now: `ctx.quota` in handlers. */
export interface QuotaView {
  /** Sends left in every open window together. */
  readonly sendsLeft: number;
  /** When the last open window closes (epoch ms); undefined when none is open. */
  readonly until: number | undefined;
}

/** A send taken from a window: give it back with `refund` if WeChat refused without sending. */
export interface Reservation {
  readonly kind: GrantKind;
  readonly until: number;
}

export type TypingVerdict = 'ok' | 'no_window' | 'no_interaction' | 'already_typing';

export interface QuotaLedger {
  /**
   * Opens (or replaces) a window for the user's push `pushId` (its dedup key) created at
   * `createdAtMs`; answers the view after it.
   */
  grant(appId: string, openId: string, kind: GrantKind, createdAtMs: number, pushId: string): Promise<QuotaView>;
  /** The view without changing anything. */
  view(appId: string, openId: string): Promise<QuotaView>;
  /** Takes one send, or undefined when no window is open with sends left. */
  reserve(appId: string, openId: string): Promise<Reservation | undefined>;
  /**
   * `reserve`, unless `guard` (a key of the user's own, in their slot) exists: then it takes
   * nothing and answers `guarded`. A send that would wait behind something, such as an earlier
   * reply in the user's lane, takes nothing that the earlier one needs, and the caller learns
   * that it waits from the same call.
   */
  reserveUnless(appId: string, openId: string, guard: string): Promise<Reservation | 'guarded' | undefined>;
  refund(appId: string, openId: string, reservation: Reservation): Promise<void>;
  /** What WeChat said: `exhaust` on 45047, `close` on 45015/43004 and on unfollow. */
  correct(appId: string, openId: string, correction: 'exhaust' | 'close'): Promise<void>;
  /**
   * Whether Typing may be sent now (docs/wechat-protocol.md §7.3: only when a send would be); when `ok`, it
   * counts as showing for 15 s.
   */
  typing(appId: string, openId: string): Promise<TypingVerdict>;
}

export interface QuotaLedgerOptions {
  readonly redis: RedisClient;
  /** The hash of one user: `createKeys(prefix).quota`. */
  readonly keyOf: (appId: string, openId: string) => string;
  readonly rules: QuotaRules;
  /** Epoch ms; injectable for tests. */
  readonly now?: () => number;
}

const KIND_FIELD = { message: 'm', event: 'e' } as const satisfies Record<GrantKind, string>;
const FIELD_KIND = { m: 'message', e: 'event' } as const;
/** A user's hash outlives their longest window by a day, then Redis drops it. */
const LEDGER_TTL_MS = MESSAGE_WINDOW_MS + 24 * 3600 * 1000;

/** The customer-service quota ledger (docs/quota.md), kept in Redis. */
export function createQuotaLedger(options: QuotaLedgerOptions): QuotaLedger {
  const { redis, keyOf, rules } = options;
  const now = options.now ?? Date.now;
  const call = <T>(script: RedisScript, key: string, ...args: (string | number)[]): Promise<T> =>
    script.run<T>(redis, [key], args);
  return {
    async grant(appId, openId, kind, createdAtMs, pushId) {
      const sends = kind === 'message' ? rules.messageSends : rules.eventSends;
      const until = createdAtMs + (kind === 'message' ? MESSAGE_WINDOW_MS : EVENT_WINDOW_MS);
      const fields = await call<(string | null)[]>(
        GRANT,
        keyOf(appId, openId),
        KIND_FIELD[kind],
        sends,
        until,
        createdAtMs,
        LEDGER_TTL_MS,
        pushId,
      );
      return viewOf(fields, now());
    },
    async view(appId, openId) {
      return viewOf(await redis.hmget(keyOf(appId, openId), 'm_left', 'm_until', 'e_left', 'e_until'), now());
    },
    async reserve(appId, openId) {
      const taken = await RESERVE.run<Taken>(redis, [keyOf(appId, openId)], [now()]);
      return taken === null || taken === 'guarded' ? undefined : reservationOf(taken);
    },
    async reserveUnless(appId, openId, guard) {
      const taken = await RESERVE.run<Taken>(redis, [keyOf(appId, openId), guard], [now()]);
      return taken === null || taken === 'guarded' ? (taken ?? undefined) : reservationOf(taken);
    },
    async refund(appId, openId, reservation) {
      await call<number>(REFUND, keyOf(appId, openId), KIND_FIELD[reservation.kind], reservation.until);
    },
    async correct(appId, openId, correction) {
      await call<number>(CORRECT, keyOf(appId, openId), correction, LEDGER_TTL_MS);
    },
    typing: (appId, openId) =>
      call<TypingVerdict>(TYPING, keyOf(appId, openId), now(), TYPING_INTERACTION_MS, TYPING_SHOWS_MS),
  };
}

/** RESERVE's answer: the grant taken from, nothing, or the guard's existence. */
type Taken = [keyof typeof FIELD_KIND, number] | null | 'guarded';

function reservationOf([field, until]: [keyof typeof FIELD_KIND, number]): Reservation {
  return { kind: FIELD_KIND[field], until };
}

function viewOf([mLeft, mUntil, eLeft, eUntil]: (string | null)[], nowMs: number): QuotaView {
  let sendsLeft = 0;
  let until: number | undefined;
  for (const [left, end] of [
    [Number(mLeft ?? 0), Number(mUntil ?? 0)],
    [Number(eLeft ?? 0), Number(eUntil ?? 0)],
  ] as const) {
    if (left > 0 && end > nowMs) {
      sendsLeft += left;
      until = Math.max(until ?? 0, end);
    }
  }
  return { sendsLeft, until };
}
