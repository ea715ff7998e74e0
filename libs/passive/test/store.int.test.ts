import { randomUUID } from 'node:crypto';
import { createKeys } from '@wxq/redis';
import type { CustomMessage } from '@wxq/wechat';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, inject, it } from 'vitest';
import {
  type OutboxLimits,
  type QueuedReply,
  type StoredReply,
  createPassiveStore,
  createReplyWaiters,
  wakeKeyOfPush,
  wakeKeyOfUser,
} from '../src/index.js';

const redis = new Redis(inject('redisUrl'), { maxRetriesPerRequest: null });
afterAll(async () => {
  await redis.quit();
});

const APP = 'wx0123456789abcdef';
const GH = 'gh_0123456789ab';

function text(touser: string, content: string): StoredReply {
  const message: CustomMessage = { touser, msgtype: 'text', text: { content } };
  return { message, from: GH };
}

/** WXQ_PENDING_REPLY_HOURS (here in ms) and WXQ_PENDING_REPLIES_MAX. */
function limits(ttlMs: number, maxEntries = 20): OutboxLimits {
  return { ttlMs, maxEntries };
}

/** A push's replies as its job queues them: each with its index among them. */
function queued(...replies: StoredReply[]): QueuedReply[] {
  return replies.map((reply, replyIndex) => ({ ...reply, replyIndex }));
}

function setup(now: () => number = Date.now) {
  const keys = createKeys(`{test-${randomUUID()}}`);
  return { keys, store: createPassiveStore({ redis, keys, now }) };
}

describe('passive: one push, its first reply', () => {
  it('counts deliveries', async () => {
    const { store } = setup();
    expect(await store.delivered('in-1')).toBe(1);
    expect(await store.delivered('in-1')).toBe(2);
    expect(await store.delivered('in-2')).toBe(1);
  });

  it('an offered reply is taken by the gateway, again by a retry, and then never sent', async () => {
    const { store } = setup();
    expect(await store.take('in-1', false)).toEqual({ state: 'waiting', reply: undefined });
    expect(await store.offer('in-1', text('o1', 'hi'))).toBe(true);
    expect(await store.take('in-1', false)).toEqual({ state: 'taken', reply: text('o1', 'hi') });
    // A retry after a crash between taking and answering answers the same reply (at-least-once).
    expect(await store.take('in-1', true)).toEqual({ state: 'taken', reply: text('o1', 'hi') });
    expect(await store.settle('in-1', Date.now() + 60_000)).toBe('answered');
    expect(await store.settle('in-1', 0)).toBe('answered');
  });

  it('a gateway that gave up closes the push: the offer is refused and the reply goes by the API', async () => {
    const { store } = setup();
    expect(await store.take('in-1', true)).toEqual({ state: 'closed', reply: undefined });
    expect(await store.offer('in-1', text('o1', 'late'))).toBe(false);
    expect(await store.take('in-1', false)).toEqual({ state: 'closed', reply: undefined });
  });

  it('an offer nobody takes waits, then is sent, and no gateway takes it after that', async () => {
    let now = 1_000_000;
    const { store } = setup(() => now);
    await store.offer('in-1', text('o1', 'hi'));
    expect(await store.settle('in-1', 1_020_000)).toBe('wait');
    now = 1_020_000;
    expect(await store.settle('in-1', 1_020_000)).toBe('send');
    expect(await store.take('in-1', false)).toEqual({ state: 'sent', reply: undefined });
    expect(await store.take('in-1', true)).toEqual({ state: 'sent', reply: undefined });
  });

  it('a handler with no passive reply closes the push at once; a push whose hash is gone sends', async () => {
    const { store } = setup();
    expect(await store.offer('in-1', undefined)).toBe(false);
    expect(await store.take('in-1', false)).toEqual({ state: 'closed', reply: undefined });
    expect(await store.settle('in-gone', Date.now() + 60_000)).toBe('send');
  });

  it('wakes the gateway holding the push, through the shared subscription', async () => {
    const { keys, store } = setup();
    const waiters = createReplyWaiters(redis.duplicate(), keys.passiveChannel);
    await waiters.ready;
    try {
      const woken = waiters.watch(wakeKeyOfPush('in-1'), 5_000);
      const other = waiters.watch(wakeKeyOfPush('in-2'), 50);
      const stopped = waiters.watch(wakeKeyOfPush('in-1'), 5_000);
      expect(waiters.size()).toBe(3);
      stopped.stop();
      expect(waiters.size()).toBe(2);
      await store.offer('in-1', text('o1', 'hi'));
      expect(await woken.woken).toBe(true);
      expect(await other.woken).toBe(false);
      expect(await stopped.woken).toBe(false);
      expect(waiters.size()).toBe(0);
    } finally {
      await waiters.close();
    }
  });

  it('closing the waiters answers every waiting push', async () => {
    const { keys } = setup();
    const waiters = createReplyWaiters(redis.duplicate(), keys.passiveChannel);
    const held = Array.from({ length: 3 }, (_, i) => waiters.watch(wakeKeyOfPush(`in-${String(i)}`), 60_000));
    await waiters.close();
    expect(await Promise.all(held.map((w) => w.woken))).toEqual([false, false, false]);
  });
});

describe('passive-only: outboxes', () => {
  it('a push answers with its user oldest pending reply, and again on a retry', async () => {
    const { store } = setup();
    expect(await store.assign(APP, 'o1', 'in-1')).toEqual({ reply: undefined, handled: false });
    await store.append(APP, 'in-1', 'o1', queued(text('o1', 'first'), text('o1', 'second')), limits(3_600_000));
    expect(await store.assign(APP, 'o1', 'in-1')).toEqual({ reply: text('o1', 'first'), handled: true });
    expect(await store.assign(APP, 'o1', 'in-1')).toEqual({ reply: text('o1', 'first'), handled: true });
    expect(await store.assign(APP, 'o1', 'in-2')).toEqual({ reply: text('o1', 'second'), handled: false });
    expect(await store.assign(APP, 'o1', 'in-3')).toEqual({ reply: undefined, handled: false });
  });

  it('a handled push with nothing for its user says so, and replies to another user go to theirs', async () => {
    const { store } = setup();
    await store.append(APP, 'in-1', 'o1', queued(text('o2', 'for o2')), limits(3_600_000));
    expect(await store.assign(APP, 'o1', 'in-1')).toEqual({ reply: undefined, handled: true });
    expect((await store.assign(APP, 'o2', 'in-9')).reply).toEqual(text('o2', 'for o2'));
  });

  it("queues replies for another shard's push without marking it handled, and wakes their users", async () => {
    const { keys, store } = setup();
    const waiters = createReplyWaiters(redis.duplicate(), keys.passiveChannel);
    await waiters.ready;
    const watch = waiters.watch(wakeKeyOfUser(APP, 'o2'), 5_000);
    await store.appendForOtherShard(
      APP,
      'in-1',
      queued(text('o2', 'from elsewhere'), text('o2', 'and more')),
      limits(3_600_000),
    );
    expect(await watch.woken).toBe(true);
    await waiters.close();
    // The push's hash in this shard only records what was appended, for a re-run.
    expect(await redis.hget(keys.passive('in-1'), 'done')).toBeNull();
    expect(await store.assign(APP, 'o2', 'in-9')).toEqual({ reply: text('o2', 'from elsewhere'), handled: false });
    // Nothing to queue: no script runs at all.
    await store.appendForOtherShard(APP, 'in-2', [], limits(3_600_000));
    expect(await redis.exists(keys.passive('in-2'))).toBe(0);
  });

  it("a re-run of the push's job queues each reply once, on both shards' sides", async () => {
    const { keys, store } = setup();
    const replies = queued(text('o1', 'one'), text('o2', 'two'), text('o1', 'three'));
    const mine = replies.filter((reply) => reply.message.touser === 'o1');
    const theirs = replies.filter((reply) => reply.message.touser === 'o2');
    for (let run = 0; run < 2; run += 1) {
      await store.appendForOtherShard(APP, 'in-1', theirs, limits(3_600_000));
      await store.append(APP, 'in-1', 'o1', mine, limits(3_600_000));
    }
    // A run that died between the other shard's append and its own: the next one adds only its own.
    await store.appendForOtherShard(APP, 'in-2', queued(text('o2', 'four')), limits(3_600_000));
    await store.appendForOtherShard(APP, 'in-2', queued(text('o2', 'four')), limits(3_600_000));
    const contents = async (user: string) =>
      (await redis.lrange(keys.outbox(APP, user), 0, -1)).map((entry) => entry.slice(entry.indexOf('|') + 1));
    expect(await contents('o1')).toEqual([JSON.stringify(text('o1', 'one')), JSON.stringify(text('o1', 'three'))]);
    expect(await contents('o2')).toEqual([JSON.stringify(text('o2', 'two')), JSON.stringify(text('o2', 'four'))]);
    // The record of what was appended lives no longer than the push's state.
    expect(await redis.pttl(keys.passive('in-1'))).toBeLessThanOrEqual(120_000);
    expect(await redis.pttl(keys.passive('in-1'))).toBeGreaterThan(0);
  });

  it('drops expired replies and counts them', async () => {
    let now = 1_000_000;
    const { keys, store } = setup(() => now);
    await store.append(APP, 'in-1', 'o1', queued(text('o1', 'old')), limits(1_000));
    now += 500;
    await store.append(APP, 'in-2', 'o1', queued(text('o1', 'new')), limits(10_000));
    now += 1_000;
    expect((await store.assign(APP, 'o1', 'in-3')).reply).toEqual(text('o1', 'new'));
    expect(await redis.hget(keys.sendCounters(APP), 'pending_expired')).toBe('1');
  });

  it('keeps the newest 20 replies of a user: 25 appended, the 5 oldest dropped and counted', async () => {
    const { keys, store } = setup();
    for (let i = 0; i < 25; i += 1) {
      await store.append(APP, `in-${String(i)}`, 'o1', queued(text('o1', `reply ${String(i)}`)), limits(3_600_000));
    }
    const outbox = await redis.lrange(keys.outbox(APP, 'o1'), 0, -1);
    expect(outbox.map((entry) => entry.slice(entry.indexOf('|') + 1))).toEqual(
      Array.from({ length: 20 }, (_, i) => JSON.stringify(text('o1', `reply ${String(i + 5)}`))),
    );
    expect(await redis.hget(keys.sendCounters(APP), 'pending_overflow')).toBe('5');
    expect(await redis.hget(keys.sendCounters(APP), 'pending_expired')).toBeNull();
    // The next push answers with the oldest kept.
    expect((await store.assign(APP, 'o1', 'in-25')).reply).toEqual(text('o1', 'reply 5'));
  });

  it('skips an entry that is not its own format instead of failing every later push of the user', async () => {
    const { keys, store } = setup();
    await redis.rpush(keys.outbox(APP, 'o1'), 'garbage');
    await store.append(APP, 'in-1', 'o1', queued(text('o1', 'ok')), limits(60_000));
    expect((await store.assign(APP, 'o1', 'in-2')).reply).toEqual(text('o1', 'ok'));
  });

  it('reads a reply Redis holds in another shape as none, instead of failing the push', async () => {
    const { keys, store } = setup();
    for (const [i, junk] of ['{not json', '{"message":{"touser":1},"from":"gh"}', '[]', 'null'].entries()) {
      await redis.hset(keys.passive(`in-${String(i)}`), 'state', 'ready', 'reply', junk);
      expect(await store.take(`in-${String(i)}`, false)).toEqual({ state: 'taken', reply: undefined });
    }
  });

  it('keeps content with separators, quotes and unicode intact', async () => {
    const { store } = setup();
    const content = '1|2 "quoted" ]]> 收到 ✅ \u2028';
    await store.append(APP, 'in-1', 'o1', queued(text('o1', content)), limits(60_000));
    expect((await store.assign(APP, 'o1', 'in-1')).reply).toEqual(text('o1', content));
  });

  it('wakes the gateways holding the user pushes', async () => {
    const { keys, store } = setup();
    const waiters = createReplyWaiters(redis.duplicate(), keys.passiveChannel);
    await waiters.ready;
    try {
      const woken = waiters.watch(wakeKeyOfUser(APP, 'o1'), 5_000);
      await store.append(APP, 'in-1', 'o1', [], limits(60_000));
      expect(await woken.woken).toBe(true);
    } finally {
      await waiters.close();
    }
  });
});
