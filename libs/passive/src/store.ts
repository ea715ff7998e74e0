import { type RedisClient, type RedisScript, type WxqKeys, createScript } from '@wxq/redis';
import type { CustomMessage } from '@wxq/wechat';

// One hash per push (`<prefix>:passive:<push job id>`), shared by the gateways holding its
// deliveries and the worker handling it (docs/passive-replies.md):
//   deliveries  how many times WeChat has delivered the push
//   state       passive: waiting -> ready (the worker offered its first reply) -> taken (a gateway
//               answered with it) | sent (nobody took it in time: the worker sends it by the API);
//               or closed (no passive reply: the gateway answered success, or the worker had none)
//   reply       the reply the push answers with (passive: once offered; passive-only: once assigned)
//   done        passive-only: the worker has handled the push
// Every change is one script, so "answered passively" and "sent by the API" exclude each other.

/** A reply as a gateway needs it to answer a push: the message and the account's `gh_` id. */
export interface StoredReply {
  readonly message: CustomMessage;
  /** The account's `gh_` id (the push's ToUserName): the passive reply's FromUserName. */
  readonly from: string;
}

/** KEYS: push hash. ARGV: ttl. Counts a delivery; answers it. */
const DELIVERED = createScript(`local n = redis.call('HINCRBY', KEYS[1], 'deliveries', 1)
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return n`);

/**
 * KEYS: push hash. ARGV: reply JSON ('' for none), ttl, channel, wake-up message. Offers the push's
 * first reply unless a gateway already answered `success` (closed); answers whether it did.
 */
const OFFER = createScript(`local state = redis.call('HGET', KEYS[1], 'state')
if state and state ~= 'waiting' then return 0 end
if ARGV[1] == '' then
  redis.call('HSET', KEYS[1], 'state', 'closed')
else
  redis.call('HSET', KEYS[1], 'state', 'ready', 'reply', ARGV[1])
end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('PUBLISH', ARGV[3], ARGV[4])
if ARGV[1] == '' then return 0 end
return 1`);

/**
 * KEYS: push hash. ARGV: '1' to give up (answer `success`) when no reply is there, ttl. Answers
 * `[state, reply]`: a ready (or already taken: the answer may not have arrived) reply is taken.
 */
const TAKE = createScript(`local state = redis.call('HGET', KEYS[1], 'state')
if state == 'ready' or state == 'taken' then
  redis.call('HSET', KEYS[1], 'state', 'taken')
  return { 'taken', redis.call('HGET', KEYS[1], 'reply') }
end
if ARGV[1] == '1' and (not state or state == 'waiting') then
  redis.call('HSET', KEYS[1], 'state', 'closed')
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return { 'closed', false }
end
return { state or 'waiting', false }`);

/**
 * KEYS: push hash. ARGV: now, send-after. The worker's question for an offered reply: `answered`
 * (a gateway took it), `wait` (offered, not taken yet), or `send` (nobody took it by send-after, or
 * the hash is gone: the reply goes by the API, and no gateway may take it any more).
 */
const SETTLE = createScript(`local state = redis.call('HGET', KEYS[1], 'state')
if state == 'taken' then return 'answered' end
if state == 'ready' and tonumber(ARGV[1]) < tonumber(ARGV[2]) then return 'wait' end
if state then redis.call('HSET', KEYS[1], 'state', 'sent') end
return 'send'`);

/**
 * passive-only. KEYS: push hash (when ARGV[4] is '1'), then per recipient its outbox. ARGV: ttl,
 * outbox ttl, channel, '1' or '0', then per recipient its wake-up message, its entry count and its
 * entries. Appends the replies oldest first, marks the push handled and wakes the gateways
 * holding those users' pushes.
 */
const APPEND = createScript(`local at = 5
local push = ARGV[4] == '1'
for i = push and 2 or 1, #KEYS do
  local wake, count = ARGV[at], tonumber(ARGV[at + 1])
  for k = 1, count do redis.call('RPUSH', KEYS[i], ARGV[at + 1 + k]) end
  if count > 0 then redis.call('PEXPIRE', KEYS[i], ARGV[2]) end
  redis.call('PUBLISH', ARGV[3], wake)
  at = at + 2 + count
end
if push then
  redis.call('HSET', KEYS[1], 'done', 1)
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
return 1`);

/**
 * passive-only. KEYS: push hash, the user's outbox, the account's counters. ARGV: now, ttl.
 * Answers `[reply, done]`: the reply this push answers with — the one it was given before (its
 * answer may not have arrived), else the user's oldest pending reply, dropping (and counting)
 * expired ones — and whether the worker has handled the push. Outbox entries are
 * `<expires at, epoch ms>|<reply JSON>`.
 */
const ASSIGN = createScript(`local reply = redis.call('HGET', KEYS[1], 'reply')
local expired = 0
while not reply do
  local entry = redis.call('LPOP', KEYS[2])
  if not entry then break end
  local expiresAt, json = string.match(entry, '^(%d+)|(.*)$')
  if expiresAt and tonumber(expiresAt) > tonumber(ARGV[1]) then
    reply = json
    redis.call('HSET', KEYS[1], 'reply', json)
    redis.call('PEXPIRE', KEYS[1], ARGV[2])
  else
    expired = expired + 1
  end
end
if expired > 0 then redis.call('HINCRBY', KEYS[3], 'pending_expired', expired) end
return { reply or false, redis.call('HGET', KEYS[1], 'done') or false }`);

/**
 * How long a push's hash lives: past WeChat's last retry (three deliveries about 5 s apart,
 * docs/wechat-protocol.md §5.1) with room to spare.
 */
const PUSH_STATE_TTL_MS = 120_000;

/** What a gateway learns from taking a push's reply (passive). */
export interface Taken {
  /** `taken`: answer with `reply`; `closed`: answer success; `waiting`: nothing yet. */
  readonly state: 'taken' | 'closed' | 'waiting' | 'sent';
  readonly reply: StoredReply | undefined;
}

/** What a gateway learns from asking for a reply to answer a push with (passive-only). */
export interface Assigned {
  readonly reply: StoredReply | undefined;
  /** The worker has handled the push: without a reply now, none is coming for it. */
  readonly handled: boolean;
}

export interface PassiveStore {
  /** The channel gateways subscribe to; its messages are {@link wakeKeyOfPush} and {@link wakeKeyOfUser} keys. */
  readonly channel: string;
  /** Gateway: counts one delivery of the push; answers how many there have been. */
  delivered(pushJobId: string): Promise<number>;
  /** Gateway, passive: takes the push's offered reply; with `giveUp`, closes the push when none is there. */
  take(pushJobId: string, giveUp: boolean): Promise<Taken>;
  /** Gateway, passive-only: the reply this push answers with, if there is one. */
  assign(appId: string, openId: string, pushJobId: string): Promise<Assigned>;
  /** Worker, passive: offers the first reply (undefined: there is none); answers whether it was offered. */
  offer(pushJobId: string, reply: StoredReply | undefined): Promise<boolean>;
  /** Worker, passive: what became of an offered reply (see SETTLE). */
  settle(pushJobId: string, sendAfter: number): Promise<'answered' | 'wait' | 'send'>;
  /** Worker, passive-only: queues replies in their recipients' outboxes and marks the push handled. */
  append(
    appId: string,
    pushJobId: string,
    pushUser: string,
    replies: readonly StoredReply[],
    ttlMs: number,
  ): Promise<void>;
  /**
   * Worker, passive-only: queues replies to users of this store's shard for a push of another
   * shard (docs/shards.md), before that push's own {@link PassiveStore.append} marks it handled.
   */
  appendForOtherShard(appId: string, replies: readonly StoredReply[], ttlMs: number): Promise<void>;
}

/** What wakes a gateway holding a push (passive): its own reply. */
export function wakeKeyOfPush(pushJobId: string): string {
  return `push:${pushJobId}`;
}

/** What wakes a gateway holding a push (passive-only): anything new for its user. */
export function wakeKeyOfUser(appId: string, openId: string): string {
  return `user:${appId}:${openId}`;
}

export interface PassiveStoreOptions {
  readonly redis: RedisClient;
  readonly keys: WxqKeys;
  /** Epoch ms; injectable for tests. */
  readonly now?: () => number;
}

/** Passive replies in Redis (docs/passive-replies.md). */
export function createPassiveStore(options: PassiveStoreOptions): PassiveStore {
  const { redis, keys } = options;
  const now = options.now ?? Date.now;
  const run = <T>(script: RedisScript, keyList: readonly string[], ...args: (string | number)[]): Promise<T> =>
    script.run<T>(redis, keyList, args);
  // What Redis holds was written by these scripts; anything else (a hand edit, another version)
  // reads as no reply rather than failing the push.
  const parse = (json: string | null | false): StoredReply | undefined => {
    if (typeof json !== 'string') return undefined;
    try {
      const { message, from } = JSON.parse(json) as Partial<StoredReply>;
      if (typeof from !== 'string' || typeof message?.touser !== 'string' || typeof message.msgtype !== 'string') {
        return undefined;
      }
      return { message, from };
    } catch {
      return undefined;
    }
  };
  return {
    channel: keys.passiveChannel,
    delivered: (pushJobId) => run<number>(DELIVERED, [keys.passive(pushJobId)], PUSH_STATE_TTL_MS),
    async take(pushJobId, giveUp) {
      const [state, reply] = await run<[Taken['state'], string | null]>(
        TAKE,
        [keys.passive(pushJobId)],
        giveUp ? '1' : '0',
        PUSH_STATE_TTL_MS,
      );
      return { state, reply: parse(reply) };
    },
    async assign(appId, openId, pushJobId) {
      const [reply, done] = await run<[string | null, string | null]>(
        ASSIGN,
        [keys.passive(pushJobId), keys.outbox(appId, openId), keys.sendCounters(appId)],
        now(),
        PUSH_STATE_TTL_MS,
      );
      return { reply: parse(reply), handled: done !== null };
    },
    async offer(pushJobId, reply) {
      const offered = await run<number>(
        OFFER,
        [keys.passive(pushJobId)],
        reply === undefined ? '' : stringify(reply),
        PUSH_STATE_TTL_MS,
        keys.passiveChannel,
        wakeKeyOfPush(pushJobId),
      );
      return offered === 1;
    },
    settle: (pushJobId, sendAfter) => run(SETTLE, [keys.passive(pushJobId)], now(), sendAfter),
    append: (appId, pushJobId, pushUser, replies, ttlMs) =>
      appendToOutboxes(appId, { jobId: pushJobId, user: pushUser }, replies, ttlMs),
    appendForOtherShard: (appId, replies, ttlMs) => appendToOutboxes(appId, undefined, replies, ttlMs),
  };

  async function appendToOutboxes(
    appId: string,
    push: { readonly jobId: string; readonly user: string } | undefined,
    replies: readonly StoredReply[],
    ttlMs: number,
  ): Promise<void> {
    // Dropped, and counted, once past this (WXQ_PENDING_REPLY_HOURS).
    const expiresAt = String(now() + ttlMs);
    const byUser = new Map<string, string[]>(push === undefined ? [] : [[push.user, []]]);
    for (const reply of replies) {
      const entries = byUser.get(reply.message.touser) ?? [];
      entries.push(`${expiresAt}|${stringify(reply)}`);
      byUser.set(reply.message.touser, entries);
    }
    const users = [...byUser.keys()];
    if (users.length === 0) return;
    await run<number>(
      APPEND,
      [...(push === undefined ? [] : [keys.passive(push.jobId)]), ...users.map((user) => keys.outbox(appId, user))],
      PUSH_STATE_TTL_MS,
      ttlMs,
      keys.passiveChannel,
      push === undefined ? '0' : '1',
      ...users.flatMap((user) => {
        const entries = byUser.get(user) ?? [];
        return [wakeKeyOfUser(appId, user), entries.length, ...entries];
      }),
    );
  }
}

function stringify(reply: StoredReply): string {
  return JSON.stringify({ message: reply.message, from: reply.from });
}
