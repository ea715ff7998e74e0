// The send-pause and ledger scripts run directly, file by file: their keys, arguments and answers,
// malformed state included, apart from what send-pause.ts and ledger.ts make of them.
import { randomUUID } from 'node:crypto';
import { loadScript } from '@wxq/redis';
import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, inject, it } from 'vitest';

const redis = new Redis(inject('redisUrl'));
const created: string[] = [];
afterEach(async () => {
  if (created.length > 0) await redis.del(created.splice(0));
});
afterAll(async () => {
  await redis.quit();
});

const script = (name: string) => loadScript(new URL(`../src/lua/${name}.lua`, import.meta.url));
const PAUSE_UNTIL_LATER = script('send-pause-until-later');
const GRANT = script('ledger-grant');
const RESERVE = script('ledger-reserve');
const REFUND = script('ledger-refund');
const CORRECT = script('ledger-correct');
const TYPING = script('ledger-typing');

/** A fresh key, deleted after the test. */
function key(name = 'user'): string {
  const fresh = `{test-${randomUUID()}}:${name}`;
  created.push(fresh);
  return fresh;
}

const TTL_MS = 60_000;
const NOW = 1_000_000;

describe('send-pause-until-later.lua', () => {
  it('sets a missing pause with its ttl and answers 1', async () => {
    const pause = key('pause');
    expect(await PAUSE_UNTIL_LATER.run(redis, [pause], [NOW, TTL_MS])).toBe(1);
    expect(await redis.get(pause)).toBe(String(NOW));
    expect(await redis.pttl(pause)).toBeGreaterThan(TTL_MS - 5_000);
  });

  it('keeps a pause at least as long (0), replaces a shorter one (1)', async () => {
    const pause = key('pause');
    await redis.set(pause, String(NOW));
    expect(await PAUSE_UNTIL_LATER.run(redis, [pause], [NOW, TTL_MS])).toBe(0);
    expect(await PAUSE_UNTIL_LATER.run(redis, [pause], [NOW - 1, TTL_MS])).toBe(0);
    expect(await redis.pttl(pause)).toBe(-1);
    expect(await PAUSE_UNTIL_LATER.run(redis, [pause], [NOW + 1, TTL_MS])).toBe(1);
    expect(await redis.get(pause)).toBe(String(NOW + 1));
  });

  it('fails on a pause that is not a number (a Lua error) or not a string (WRONGTYPE)', async () => {
    const garbled = key('garbled');
    await redis.set(garbled, 'soon');
    await expect(PAUSE_UNTIL_LATER.run(redis, [garbled], [NOW, TTL_MS])).rejects.toThrow(/attempt to compare/);
    expect(await redis.get(garbled)).toBe('soon');
    const hash = key('hash');
    await redis.hset(hash, 'until', '1');
    await expect(PAUSE_UNTIL_LATER.run(redis, [hash], [NOW, TTL_MS])).rejects.toThrow(/^WRONGTYPE/);
  });
});

describe('ledger-grant.lua', () => {
  // ARGV: kind, sends, until, created at, ttl, push id.
  it("opens a kind's window on a missing hash, raises `last`, sets the ttl, and answers the four fields", async () => {
    const user = key();
    expect(await GRANT.run(redis, [user], ['m', 5, NOW + 1000, NOW, TTL_MS, 'push-1'])).toEqual([
      '5',
      String(NOW + 1000),
      null,
      null,
    ]);
    expect(await redis.hgetall(user)).toEqual({
      m_left: '5',
      m_until: String(NOW + 1000),
      m_src: 'push-1',
      last: String(NOW),
    });
    expect(await redis.pttl(user)).toBeGreaterThan(0);
  });

  it('keeps a grant its own push made (sends spent stay spent) and a newer window', async () => {
    const user = key();
    await redis.hset(user, 'm_left', 2, 'm_until', NOW + 1000, 'm_src', 'push-1', 'last', NOW);
    expect(await GRANT.run(redis, [user], ['m', 5, NOW + 1000, NOW, TTL_MS, 'push-1'])).toEqual([
      '2',
      String(NOW + 1000),
      null,
      null,
    ]);
    // A push handled late: its window ends before the one there.
    expect(await GRANT.run(redis, [user], ['m', 5, NOW + 500, NOW - 500, TTL_MS, 'push-0'])).toEqual([
      '2',
      String(NOW + 1000),
      null,
      null,
    ]);
    expect(await redis.hget(user, 'last')).toBe(String(NOW));
    // A later push replaces it.
    await GRANT.run(redis, [user], ['m', 5, NOW + 2000, NOW + 1000, TTL_MS, 'push-2']);
    expect(await redis.hmget(user, 'm_left', 'm_until', 'm_src', 'last')).toEqual([
      '5',
      String(NOW + 2000),
      'push-2',
      String(NOW + 1000),
    ]);
  });

  it('fails on a malformed until (a Lua error) and on a key that is not a hash (WRONGTYPE)', async () => {
    const garbled = key();
    await redis.hset(garbled, 'e_until', 'tomorrow');
    await expect(GRANT.run(redis, [garbled], ['e', 1, NOW, NOW, TTL_MS, 'p'])).rejects.toThrow(/attempt to compare/);
    expect(await redis.hget(garbled, 'e_left')).toBeNull();
    const text = key();
    await redis.set(text, 'x');
    await expect(GRANT.run(redis, [text], ['e', 1, NOW, NOW, TTL_MS, 'p'])).rejects.toThrow(/^WRONGTYPE/);
  });
});

describe('ledger-reserve.lua', () => {
  it('takes one send from the open grant that expires first, answers its kind and until, ends Typing', async () => {
    const user = key();
    await redis.hset(
      user,
      'm_left',
      1,
      'm_until',
      NOW + 2000,
      'e_left',
      2,
      'e_until',
      NOW + 1500,
      'typing_until',
      NOW + 9,
    );
    expect(await RESERVE.run(redis, [user], [NOW])).toEqual(['e', NOW + 1500]);
    expect(await redis.hmget(user, 'm_left', 'e_left', 'typing_until')).toEqual(['1', '1', '0']);
  });

  it('answers null, taking nothing, when no window is open with sends left (or the hash is missing)', async () => {
    const user = key();
    await redis.hset(user, 'm_left', 0, 'm_until', NOW + 2000, 'e_left', 3, 'e_until', NOW);
    expect(await RESERVE.run(redis, [user], [NOW])).toBeNull();
    expect(await redis.hmget(user, 'm_left', 'e_left')).toEqual(['0', '3']);
    expect(await RESERVE.run(redis, [key()], [NOW])).toBeNull();
  });

  it('answers guarded, taking nothing, while the guard key exists, whatever its type', async () => {
    const user = key();
    const guard = key('guard');
    await redis.hset(user, 'm_left', 1, 'm_until', NOW + 2000);
    await redis.rpush(guard, 'earlier reply');
    expect(await RESERVE.run(redis, [user, guard], [NOW])).toBe('guarded');
    expect(await redis.hget(user, 'm_left')).toBe('1');
    await redis.del(guard);
    expect(await RESERVE.run(redis, [user, guard], [NOW])).toEqual(['m', NOW + 2000]);
  });

  it('fails on malformed sends left (a Lua error) and on a key that is not a hash (WRONGTYPE)', async () => {
    const garbled = key();
    await redis.hset(garbled, 'm_left', 'many', 'm_until', NOW + 2000);
    await expect(RESERVE.run(redis, [garbled], [NOW])).rejects.toThrow(/attempt to compare/);
    const text = key();
    await redis.set(text, 'x');
    await expect(RESERVE.run(redis, [text], [NOW])).rejects.toThrow(/^WRONGTYPE/);
  });
});

describe('ledger-refund.lua', () => {
  it("gives a send back only while the grant's until is the one reserved from; answers 1 either way", async () => {
    const user = key();
    await redis.hset(user, 'm_left', 0, 'm_until', NOW + 2000);
    expect(await REFUND.run(redis, [user], ['m', NOW + 1000])).toBe(1);
    expect(await redis.hget(user, 'm_left')).toBe('0');
    expect(await REFUND.run(redis, [user], ['m', NOW + 2000])).toBe(1);
    expect(await redis.hget(user, 'm_left')).toBe('1');
  });

  it('leaves a missing hash missing', async () => {
    const user = key();
    expect(await REFUND.run(redis, [user], ['e', NOW])).toBe(1);
    expect(await redis.exists(user)).toBe(0);
  });

  it('fails with WRONGTYPE on a key that is not a hash, and on sends left that are not an integer', async () => {
    const text = key();
    await redis.set(text, 'x');
    await expect(REFUND.run(redis, [text], ['m', NOW])).rejects.toThrow(/^WRONGTYPE/);
    const garbled = key();
    await redis.hset(garbled, 'm_left', 'one', 'm_until', NOW);
    await expect(REFUND.run(redis, [garbled], ['m', NOW])).rejects.toThrow(/not an integer/);
  });
});

describe('ledger-correct.lua', () => {
  it("'exhaust' zeroes both kinds' sends and keeps the windows", async () => {
    const user = key();
    await redis.hset(user, 'm_left', 3, 'm_until', NOW, 'e_left', 1, 'e_until', NOW, 'last', NOW);
    expect(await CORRECT.run(redis, [user], ['exhaust', TTL_MS])).toBe(1);
    expect(await redis.hmget(user, 'm_left', 'e_left', 'm_until', 'e_until', 'last')).toEqual([
      '0',
      '0',
      String(NOW),
      String(NOW),
      String(NOW),
    ]);
    expect(await redis.pttl(user)).toBeGreaterThan(0);
  });

  it("'close' shuts both windows and forgets the last interaction, keeping the sends", async () => {
    const user = key();
    await redis.hset(user, 'm_left', 3, 'm_until', NOW, 'e_left', 1, 'e_until', NOW, 'last', NOW);
    expect(await CORRECT.run(redis, [user], ['close', TTL_MS])).toBe(1);
    expect(await redis.hmget(user, 'm_left', 'e_left', 'm_until', 'e_until', 'last')).toEqual([
      '3',
      '1',
      '0',
      '0',
      '0',
    ]);
  });

  it('creates a missing hash with its ttl, and fails with WRONGTYPE on a key that is not a hash', async () => {
    const user = key();
    await CORRECT.run(redis, [user], ['close', TTL_MS]);
    expect(await redis.pttl(user)).toBeGreaterThan(TTL_MS - 5_000);
    const text = key();
    await redis.set(text, 'x');
    await expect(CORRECT.run(redis, [text], ['exhaust', TTL_MS])).rejects.toThrow(/^WRONGTYPE/);
  });
});

describe('ledger-typing.lua', () => {
  // ARGV: now, interaction window, how long Typing shows.
  it('answers no_window without an open window with sends left (or a hash)', async () => {
    const user = key();
    await redis.hset(user, 'm_left', 0, 'm_until', NOW + 1000, 'e_left', 1, 'e_until', NOW, 'last', NOW);
    expect(await TYPING.run(redis, [user], [NOW, 1000, 15_000])).toBe('no_window');
    expect(await TYPING.run(redis, [key()], [NOW, 1000, 15_000])).toBe('no_window');
    expect(await redis.hget(user, 'typing_until')).toBeNull();
  });

  it('answers no_interaction when the last interaction is too old', async () => {
    const user = key();
    await redis.hset(user, 'm_left', 1, 'm_until', NOW + 1000, 'last', NOW - 1001);
    expect(await TYPING.run(redis, [user], [NOW, 1000, 15_000])).toBe('no_interaction');
  });

  it('answers ok and marks Typing shown, then already_typing until it stops showing', async () => {
    const user = key();
    await redis.hset(user, 'e_left', 1, 'e_until', NOW + 60_000, 'last', NOW - 1000);
    expect(await TYPING.run(redis, [user], [NOW, 1000, 15_000])).toBe('ok');
    expect(await redis.hget(user, 'typing_until')).toBe(String(NOW + 15_000));
    expect(await TYPING.run(redis, [user], [NOW + 14_999, 20_000, 15_000])).toBe('already_typing');
    expect(await TYPING.run(redis, [user], [NOW + 15_000, 20_000, 15_000])).toBe('ok');
  });

  it('fails with WRONGTYPE on a key that is not a hash', async () => {
    const text = key();
    await redis.set(text, 'x');
    await expect(TYPING.run(redis, [text], [NOW, 1000, 15_000])).rejects.toThrow(/^WRONGTYPE/);
  });
});
