// The passive-reply scripts run directly, file by file: their keys, arguments and answers,
// malformed state included, apart from what store.ts makes of them (store.int.test.ts).
import { randomUUID } from 'node:crypto';
import { loadScript } from '@wxq/redis';
import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, inject, it, onTestFinished } from 'vitest';

const redis = new Redis(inject('redisUrl'));
const created: string[] = [];
afterEach(async () => {
  if (created.length > 0) await redis.del(created.splice(0));
});
afterAll(async () => {
  await redis.quit();
});

const script = (name: string) => loadScript(new URL(`../src/lua/${name}.lua`, import.meta.url));
const DELIVERED = script('passive-delivered');
const OFFER = script('passive-offer');
const TAKE = script('passive-take');
const SETTLE = script('passive-settle');
const APPEND = script('passive-append');
const ASSIGN = script('passive-assign');

/** A fresh key, deleted after the test. */
function key(name = 'push'): string {
  const fresh = `{test-${randomUUID()}}:${name}`;
  created.push(fresh);
  return fresh;
}

/** A subscriber on a fresh channel; `next(n)` resolves with the next n messages published there. */
async function listen() {
  const channel = `test-${randomUUID()}`;
  const subscriber = new Redis(inject('redisUrl'));
  onTestFinished(async () => {
    await subscriber.quit();
  });
  const received: string[] = [];
  const waiting: (() => void)[] = [];
  subscriber.on('message', (_channel: string, message: string) => {
    received.push(message);
    for (const wake of waiting.splice(0)) wake();
  });
  await subscriber.subscribe(channel);
  const next = async (n: number): Promise<string[]> => {
    while (received.length < n) await new Promise<void>((resolve) => waiting.push(resolve));
    return received.splice(0, n);
  };
  return { channel, next };
}

const TTL_MS = 60_000;
const REPLY = JSON.stringify({ message: { touser: 'o1', msgtype: 'text', text: { content: 'hi' } }, from: 'gh_1' });

describe('passive-delivered.lua', () => {
  it('counts deliveries and keeps the hash with a ttl', async () => {
    const push = key();
    expect(await DELIVERED.run(redis, [push], [TTL_MS])).toBe(1);
    expect(await DELIVERED.run(redis, [push], [TTL_MS])).toBe(2);
    expect(await redis.hget(push, 'deliveries')).toBe('2');
    expect(await redis.pttl(push)).toBeGreaterThan(TTL_MS - 5_000);
  });

  it('fails on a count that is not an integer, and with WRONGTYPE on a key that is not a hash', async () => {
    const garbled = key();
    await redis.hset(garbled, 'deliveries', 'two');
    await expect(DELIVERED.run(redis, [garbled], [TTL_MS])).rejects.toThrow(/not an integer/);
    const text = key();
    await redis.set(text, 'x');
    await expect(DELIVERED.run(redis, [text], [TTL_MS])).rejects.toThrow(/^WRONGTYPE/);
  });
});

describe('passive-offer.lua', () => {
  it('offers a reply on a waiting (or missing) push, wakes its gateway, answers 1', async () => {
    const push = key();
    const { channel, next } = await listen();
    expect(await OFFER.run(redis, [push], [REPLY, TTL_MS, channel, 'push:p1'])).toBe(1);
    expect(await redis.hgetall(push)).toEqual({ state: 'ready', reply: REPLY });
    expect(await redis.pttl(push)).toBeGreaterThan(0);
    expect(await next(1)).toEqual(['push:p1']);
  });

  it("closes a push it has no reply for (''), still waking its gateway, and answers 0", async () => {
    const push = key();
    await redis.hset(push, 'state', 'waiting', 'deliveries', 1);
    const { channel, next } = await listen();
    expect(await OFFER.run(redis, [push], ['', TTL_MS, channel, 'push:p2'])).toBe(0);
    expect(await redis.hgetall(push)).toEqual({ state: 'closed', deliveries: '1' });
    expect(await next(1)).toEqual(['push:p2']);
  });

  it('answers 0 and writes nothing on a push past waiting', async () => {
    const push = key();
    await redis.hset(push, 'state', 'closed');
    const { channel } = await listen();
    expect(await OFFER.run(redis, [push], [REPLY, TTL_MS, channel, 'push:p3'])).toBe(0);
    expect(await redis.hgetall(push)).toEqual({ state: 'closed' });
    expect(await redis.pttl(push)).toBe(-1);
  });

  it('fails with WRONGTYPE on a key that is not a hash', async () => {
    const text = key();
    await redis.set(text, 'x');
    await expect(OFFER.run(redis, [text], [REPLY, TTL_MS, 'c', 'w'])).rejects.toThrow(/^WRONGTYPE/);
  });
});

describe('passive-take.lua', () => {
  it('takes a ready reply, and answers it again once taken', async () => {
    const push = key();
    await redis.hset(push, 'state', 'ready', 'reply', REPLY);
    expect(await TAKE.run(redis, [push], ['0', TTL_MS])).toEqual(['taken', REPLY]);
    expect(await redis.hget(push, 'state')).toBe('taken');
    expect(await TAKE.run(redis, [push], ['1', TTL_MS])).toEqual(['taken', REPLY]);
  });

  it('answers waiting without giving up, and closes a waiting or missing push when giving up', async () => {
    const push = key();
    expect(await TAKE.run(redis, [push], ['0', TTL_MS])).toEqual(['waiting', null]);
    expect(await redis.exists(push)).toBe(0);
    expect(await TAKE.run(redis, [push], ['1', TTL_MS])).toEqual(['closed', null]);
    expect(await redis.hget(push, 'state')).toBe('closed');
    expect(await redis.pttl(push)).toBeGreaterThan(0);
  });

  it('answers the state of a push whose reply went by the API, without changing it', async () => {
    const push = key();
    await redis.hset(push, 'state', 'sent', 'reply', REPLY);
    expect(await TAKE.run(redis, [push], ['1', TTL_MS])).toEqual(['sent', null]);
    expect(await redis.hget(push, 'state')).toBe('sent');
  });

  it('fails with WRONGTYPE on a key that is not a hash', async () => {
    const text = key();
    await redis.rpush(text, 'x');
    await expect(TAKE.run(redis, [text], ['1', TTL_MS])).rejects.toThrow(/^WRONGTYPE/);
  });
});

describe('passive-settle.lua', () => {
  const NOW = 1_000_000;

  it('answers answered for a taken reply, wait for a ready one before send-after', async () => {
    const push = key();
    await redis.hset(push, 'state', 'taken');
    expect(await SETTLE.run(redis, [push], [NOW, NOW + 1])).toBe('answered');
    await redis.hset(push, 'state', 'ready');
    expect(await SETTLE.run(redis, [push], [NOW, NOW + 1])).toBe('wait');
    expect(await redis.hget(push, 'state')).toBe('ready');
  });

  it('answers send at send-after and marks the push sent, so no gateway takes it any more', async () => {
    const push = key();
    await redis.hset(push, 'state', 'ready', 'reply', REPLY);
    expect(await SETTLE.run(redis, [push], [NOW, NOW])).toBe('send');
    expect(await redis.hget(push, 'state')).toBe('sent');
    expect(await TAKE.run(redis, [push], ['0', TTL_MS])).toEqual(['sent', null]);
  });

  it('answers send for a missing hash without creating it', async () => {
    const push = key();
    expect(await SETTLE.run(redis, [push], [NOW, NOW + 1])).toBe('send');
    expect(await redis.exists(push)).toBe(0);
  });

  it('fails with WRONGTYPE on a key that is not a hash', async () => {
    const text = key();
    await redis.set(text, 'x');
    await expect(SETTLE.run(redis, [text], [NOW, NOW])).rejects.toThrow(/^WRONGTYPE/);
  });
});

describe('passive-append.lua', () => {
  const NOW = 1_000_000;
  const MAX = 20;
  /** ARGV before the recipients: ttls, channel, whether to mark the push done, the cap, now. */
  const head = (channel: string, done: '0' | '1', ttlMs = TTL_MS, max = MAX) => [
    TTL_MS,
    ttlMs,
    channel,
    done,
    max,
    NOW,
  ];

  it("appends each recipient's entries oldest first, marks each appended and the push done, wakes each recipient", async () => {
    const [push, counters, outboxA, outboxB] = [key(), key('counters'), key('outboxA'), key('outboxB')];
    const { channel, next } = await listen();
    const args = [...head(channel, '1', 2 * TTL_MS), 'user:a', 1, 0, 'a1', 'user:b', 2, 1, 'b1', 2, 'b2'];
    expect(await APPEND.run(redis, [push, counters, outboxA, outboxB], args)).toBe(3);
    expect(await redis.lrange(outboxA, 0, -1)).toEqual(['a1']);
    expect(await redis.lrange(outboxB, 0, -1)).toEqual(['b1', 'b2']);
    expect(await redis.pttl(outboxB)).toBeGreaterThan(TTL_MS);
    expect(await redis.hgetall(push)).toEqual({ 'appended:0': '1', 'appended:1': '1', 'appended:2': '1', done: '1' });
    expect(await redis.pttl(push)).toBeLessThanOrEqual(TTL_MS);
    expect(await redis.exists(counters)).toBe(0);
    expect(await next(2)).toEqual(['user:a', 'user:b']);
  });

  it('run again (a re-run of the job), appends only the indexes it has not appended, and still wakes', async () => {
    const [push, counters, outbox] = [key(), key('counters'), key('outbox')];
    const { channel, next } = await listen();
    const first = [...head(channel, '1'), 'user:a', 2, 0, 'e0', 1, 'e1'];
    expect(await APPEND.run(redis, [push, counters, outbox], first)).toBe(2);
    const again = [...head(channel, '1'), 'user:a', 3, 0, 'e0 again', 1, 'e1 again', 2, 'e2'];
    expect(await APPEND.run(redis, [push, counters, outbox], again)).toBe(1);
    expect(await APPEND.run(redis, [push, counters, outbox], again)).toBe(0);
    expect(await redis.lrange(outbox, 0, -1)).toEqual(['e0', 'e1', 'e2']);
    expect(await next(3)).toEqual(['user:a', 'user:a', 'user:a']);
  });

  it("with ARGV[4] '0' KEYS[1] only records what was appended; a recipient without entries is woken, its outbox not created", async () => {
    const [marks, counters, outboxA, outboxB] = [key(), key('counters'), key('outboxA'), key('outboxB')];
    const { channel, next } = await listen();
    const args = [...head(channel, '0'), 'user:a', 0, 'user:b', 1, 4, 'b1'];
    expect(await APPEND.run(redis, [marks, counters, outboxA, outboxB], args)).toBe(1);
    expect(await redis.exists(outboxA)).toBe(0);
    expect(await redis.lrange(outboxB, 0, -1)).toEqual(['b1']);
    expect(await redis.hgetall(marks)).toEqual({ 'appended:4': '1' });
    expect(await redis.pttl(marks)).toBeLessThanOrEqual(TTL_MS);
    expect(await next(2)).toEqual(['user:a', 'user:b']);
    // Nothing new: KEYS[1] is not written, nor created.
    const untouched = key();
    expect(await APPEND.run(redis, [untouched, counters, outboxA], [...head(channel, '0'), 'user:a', 0])).toBe(0);
    expect(await redis.exists(untouched)).toBe(0);
  });

  it('keeps an outbox to its newest ARGV[5] entries: 25 appended, 20 kept, the 5 oldest dropped and counted', async () => {
    const [push, counters, outbox] = [key(), key('counters'), key('outbox')];
    const { channel } = await listen();
    const live = (i: number) => `${String(NOW + 1)}|r${String(i)}`;
    // 3 already waiting, one of them expired and one malformed: those two count as expired.
    await redis.rpush(outbox, `${String(NOW)}|expired`, 'garbage', live(0));
    const entries = Array.from({ length: 22 }, (_, i) => [i, live(i + 1)]).flat();
    expect(await APPEND.run(redis, [push, counters, outbox], [...head(channel, '1'), 'user:a', 22, ...entries])).toBe(
      22,
    );
    expect(await redis.lrange(outbox, 0, -1)).toEqual(Array.from({ length: 20 }, (_, i) => live(i + 3)));
    expect(await redis.hgetall(counters)).toEqual({ pending_overflow: '3', pending_expired: '2' });
    // At the cap, one more drops one more.
    expect(await APPEND.run(redis, [push, counters, outbox], [...head(channel, '1'), 'user:a', 1, 22, live(23)])).toBe(
      1,
    );
    expect(await redis.llen(outbox)).toBe(MAX);
    expect(await redis.lindex(outbox, 0)).toBe(live(4));
    expect(await redis.hget(counters, 'pending_overflow')).toBe('4');
  });

  it('fails with WRONGTYPE on an outbox that is not a list, before marking the entry appended or the push done', async () => {
    const [push, counters, outbox] = [key(), key('counters'), key('outbox')];
    await redis.set(outbox, 'x');
    await expect(APPEND.run(redis, [push, counters, outbox], [...head('c', '1'), 'w', 1, 0, 'e'])).rejects.toThrow(
      /^WRONGTYPE/,
    );
    expect(await redis.exists(push)).toBe(0);
  });
});

describe('passive-assign.lua', () => {
  const NOW = 1_000_000;

  it('answers the reply the push was given before, leaving the outbox alone', async () => {
    const [push, outbox, counters] = [key(), key('outbox'), key('counters')];
    await redis.hset(push, 'reply', REPLY, 'done', 1);
    await redis.rpush(outbox, `${String(NOW + 1)}|other`);
    expect(await ASSIGN.run(redis, [push, outbox, counters], [NOW, TTL_MS])).toEqual([REPLY, '1']);
    expect(await redis.llen(outbox)).toBe(1);
  });

  it('pops the oldest live entry as the push reply, dropping and counting expired or malformed ones', async () => {
    const [push, outbox, counters] = [key(), key('outbox'), key('counters')];
    await redis.rpush(
      outbox,
      `${String(NOW)}|expired`,
      'no expiry here',
      `${String(NOW + 1)}|live`,
      `${String(NOW + 1)}|next`,
    );
    expect(await ASSIGN.run(redis, [push, outbox, counters], [NOW, TTL_MS])).toEqual(['live', null]);
    expect(await redis.hget(push, 'reply')).toBe('live');
    expect(await redis.pttl(push)).toBeGreaterThan(0);
    expect(await redis.lrange(outbox, 0, -1)).toEqual([`${String(NOW + 1)}|next`]);
    expect(await redis.hget(counters, 'pending_expired')).toBe('2');
    // A retry of the same push answers the same reply.
    expect(await ASSIGN.run(redis, [push, outbox, counters], [NOW, TTL_MS])).toEqual(['live', null]);
  });

  it('answers nothing, with whether the push is done, when every key is missing or empty', async () => {
    const [push, outbox, counters] = [key(), key('outbox'), key('counters')];
    expect(await ASSIGN.run(redis, [push, outbox, counters], [NOW, TTL_MS])).toEqual([null, null]);
    expect(await redis.exists(push, counters)).toBe(0);
    await redis.hset(push, 'done', 1);
    expect(await ASSIGN.run(redis, [push, outbox, counters], [NOW, TTL_MS])).toEqual([null, '1']);
  });

  it('fails with WRONGTYPE on an outbox that is not a list', async () => {
    const [push, outbox, counters] = [key(), key('outbox'), key('counters')];
    await redis.hset(outbox, 'entry', 'x');
    await expect(ASSIGN.run(redis, [push, outbox, counters], [NOW, TTL_MS])).rejects.toThrow(/^WRONGTYPE/);
  });
});
