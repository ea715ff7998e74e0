import { type RedisClient, type RedisScript, type WxqKeys, loadScript } from '@wxq/redis';
import type { CustomMessage } from '@wxq/wechat';

// One hash per push (`<prefix>:passive:<push job id>`), shared by the gateways holding its
// deliveries and the worker handling it (docs/passive-replies.md):
//   deliveries  how many times WeChat has delivered the push
//   state       passive: waiting -> ready (the worker offered its first reply) -> taken (a gateway
//               answered with it) | sent (nobody took it in time: the worker sends it by the API);
//               or closed (no passive reply: the gateway answered success, or the worker had none)
//   reply       the reply the push answers with (passive: once offered; passive-only: once assigned)
//   done        passive-only: the worker has handled the push
//   appended:<i> passive-only: the push's reply i is in its recipient's outbox (a re-run skips it);
//               in another shard, the push's hash there holds only these
// Every change is one script, so "answered passively" and "sent by the API" exclude each other.

/** A reply as a gateway needs it to answer a push: the message and the account's `gh_` id. */
export interface StoredReply {
  readonly message: CustomMessage;
  /** The account's `gh_` id (the push's ToUserName): the passive reply's FromUserName. */
  readonly from: string;
}

/** passive-only: how long a user's pending replies wait, and how many of them an outbox keeps (the newest). */
export interface OutboxLimits {
  /** WXQ_PENDING_REPLY_HOURS, in ms: an entry older than this is dropped, and counted (`pending_expired`). */
  readonly ttlMs: number;
  /** WXQ_PENDING_REPLIES_MAX: past it the oldest entries are dropped, and counted (`pending_overflow`). */
  readonly maxEntries: number;
}

/** passive-only: a reply to queue and its index among its push's replies, the same on every run of the push's job. */
export interface QueuedReply extends StoredReply {
  readonly replyIndex: number;
}

// Each script's KEYS, ARGV, answer and the race it closes: the header of its file in lua/.
const DELIVERED = loadScript(new URL('./lua/passive-delivered.lua', import.meta.url));
const OFFER = loadScript(new URL('./lua/passive-offer.lua', import.meta.url));
const TAKE = loadScript(new URL('./lua/passive-take.lua', import.meta.url));
const SETTLE = loadScript(new URL('./lua/passive-settle.lua', import.meta.url));
const APPEND = loadScript(new URL('./lua/passive-append.lua', import.meta.url));
const ASSIGN = loadScript(new URL('./lua/passive-assign.lua', import.meta.url));

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
  /**
   * Worker, passive-only: queues replies in their recipients' outboxes and marks the push handled.
   * Each reply index of a push is queued once: a re-run of its job skips what is there.
   */
  append(
    appId: string,
    pushJobId: string,
    pushUser: string,
    replies: readonly QueuedReply[],
    limits: OutboxLimits,
  ): Promise<void>;
  /**
   * Worker, passive-only: queues replies to users of this store's shard for a push of another
   * shard (docs/shards.md), before that push's own {@link PassiveStore.append} marks it handled;
   * once per reply index, as there.
   */
  appendForOtherShard(
    appId: string,
    pushJobId: string,
    replies: readonly QueuedReply[],
    limits: OutboxLimits,
  ): Promise<void>;
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
    append: (appId, pushJobId, pushUser, replies, limits) =>
      appendToOutboxes(appId, pushJobId, pushUser, replies, limits),
    appendForOtherShard: (appId, pushJobId, replies, limits) =>
      appendToOutboxes(appId, pushJobId, undefined, replies, limits),
  };

  /** `pushUser` undefined: another shard's push, not marked handled here. */
  async function appendToOutboxes(
    appId: string,
    pushJobId: string,
    pushUser: string | undefined,
    replies: readonly QueuedReply[],
    limits: OutboxLimits,
  ): Promise<void> {
    const at = now();
    // Dropped, and counted, once past this (WXQ_PENDING_REPLY_HOURS).
    const expiresAt = String(at + limits.ttlMs);
    // Per recipient, its (reply index, entry) pairs, oldest first.
    const byUser = new Map<string, (string | number)[]>(pushUser === undefined ? [] : [[pushUser, []]]);
    for (const reply of replies) {
      const pairs = byUser.get(reply.message.touser) ?? [];
      pairs.push(reply.replyIndex, `${expiresAt}|${stringify(reply)}`);
      byUser.set(reply.message.touser, pairs);
    }
    const users = [...byUser.keys()];
    if (users.length === 0) return;
    await run<number>(
      APPEND,
      [keys.passive(pushJobId), keys.sendCounters(appId), ...users.map((user) => keys.outbox(appId, user))],
      PUSH_STATE_TTL_MS,
      limits.ttlMs,
      keys.passiveChannel,
      pushUser === undefined ? '0' : '1',
      limits.maxEntries,
      at,
      ...users.flatMap((user) => {
        const pairs = byUser.get(user) ?? [];
        return [wakeKeyOfUser(appId, user), pairs.length / 2, ...pairs];
      }),
    );
  }
}

function stringify(reply: StoredReply): string {
  return JSON.stringify({ message: reply.message, from: reply.from });
}
