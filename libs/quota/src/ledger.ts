import { type RedisClient, type RedisScript, createScript } from '@wxq/redis';
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

/**
 * Replaces a kind's grant (ARGV: kind, sends, until, created at, ttl, push id) unless the same push
 * granted it (a handler re-run keeps what was spent) or a newer window is there (a push handled
 * late does not reopen it).
 */
const GRANT = createScript(`local ends = tonumber(ARGV[3])
local current = tonumber(redis.call('HGET', KEYS[1], ARGV[1] .. '_until') or '0')
if current <= ends and redis.call('HGET', KEYS[1], ARGV[1] .. '_src') ~= ARGV[6] then
  redis.call('HSET', KEYS[1], ARGV[1] .. '_left', ARGV[2], ARGV[1] .. '_until', ends, ARGV[1] .. '_src', ARGV[6])
end
if tonumber(redis.call('HGET', KEYS[1], 'last') or '0') < tonumber(ARGV[4]) then redis.call('HSET', KEYS[1], 'last', ARGV[4]) end
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return redis.call('HMGET', KEYS[1], 'm_left', 'm_until', 'e_left', 'e_until')`);

/**
 * Takes one send from the active grant that expires first; answers its kind, or false. With a
 * KEYS[2] that exists it takes nothing and answers 'guarded'.
 */
const RESERVE = createScript(`if KEYS[2] and redis.call('EXISTS', KEYS[2]) == 1 then return 'guarded' end
local now = tonumber(ARGV[1])
local best, bestEnds = false, 0
for _, kind in ipairs({ 'm', 'e' }) do
  local left = tonumber(redis.call('HGET', KEYS[1], kind .. '_left') or '0')
  local ends = tonumber(redis.call('HGET', KEYS[1], kind .. '_until') or '0')
  if left > 0 and ends > now and (not best or ends < bestEnds) then best, bestEnds = kind, ends end
end
if best then
  redis.call('HINCRBY', KEYS[1], best .. '_left', -1)
  redis.call('HSET', KEYS[1], 'typing_until', 0)
  return { best, bestEnds }
end
return false`);

/** Gives back a send WeChat refused without sending, if that grant is still the same one. */
const REFUND =
  createScript(`if redis.call('HGET', KEYS[1], ARGV[1] .. '_until') == ARGV[2] then redis.call('HINCRBY', KEYS[1], ARGV[1] .. '_left', 1) end
return 1`);

/** ARGV[1] = 'exhaust' (45047: sends used up) or 'close' (45015, 43004, unsubscribe: windows shut). */
const CORRECT = createScript(`if ARGV[1] == 'exhaust' then
  redis.call('HSET', KEYS[1], 'm_left', 0, 'e_left', 0)
else
  redis.call('HSET', KEYS[1], 'm_until', 0, 'e_until', 0, 'last', 0)
end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1`);

/**
 * Allows Typing when a send would be allowed (an open window with sends left), the user interacted
 * within ARGV[2] ms and no Typing shows; marks it shown.
 */
const TYPING = createScript(`local now = tonumber(ARGV[1])
local open = false
for _, kind in ipairs({ 'm', 'e' }) do
  if tonumber(redis.call('HGET', KEYS[1], kind .. '_left') or '0') > 0 and tonumber(redis.call('HGET', KEYS[1], kind .. '_until') or '0') > now then open = true end
end
if not open then return 'no_window' end
if now - tonumber(redis.call('HGET', KEYS[1], 'last') or '0') > tonumber(ARGV[2]) then return 'no_interaction' end
if tonumber(redis.call('HGET', KEYS[1], 'typing_until') or '0') > now then return 'already_typing' end
redis.call('HSET', KEYS[1], 'typing_until', now + tonumber(ARGV[3]))
return 'ok'`);

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
