// The record and consent scripts run directly, file by file: their keys, arguments and answers,
// malformed state included, apart from what records.ts and consent.ts make of them.
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
const CREATE = script('record-create');
const ADVANCE = script('record-advance');
const TAKE = script('consent-take');
const APPLY = script('consent-apply');

/** A fresh key in one slot per test, deleted after it. */
const tag = () => `{test-${randomUUID()}}`;
function key(slot: string, name: string): string {
  const fresh = `${slot}:${name}`;
  created.push(fresh);
  return fresh;
}

const TTL_MS = 60_000;

describe('record-create.lua', () => {
  it('creates a missing record with its ttl (1), leaves an existing one as it was (0)', async () => {
    const record = key(tag(), 'ntf');
    expect(await CREATE.run(redis, [record], [TTL_MS, 'status', 'queued', 'to', 'o1'])).toBe(1);
    expect(await redis.hgetall(record)).toEqual({ status: 'queued', to: 'o1' });
    expect(await redis.pttl(record)).toBeGreaterThan(TTL_MS - 5_000);
    await redis.hset(record, 'status', 'sent');
    expect(await CREATE.run(redis, [record], [TTL_MS, 'status', 'queued', 'to', 'o2'])).toBe(0);
    expect(await redis.hgetall(record)).toEqual({ status: 'sent', to: 'o1' });
  });

  it('fails without fields to write (an HSET of nothing), creating nothing', async () => {
    const record = key(tag(), 'ntf');
    await expect(CREATE.run(redis, [record], [TTL_MS])).rejects.toThrow(/wrong number of args/i);
    expect(await redis.exists(record)).toBe(0);
  });
});

describe('record-advance.lua', () => {
  it('moves queued -> sent -> delivered, writing the detail and renewing the ttl', async () => {
    const record = key(tag(), 'ntf');
    await redis.hset(record, 'status', 'queued');
    expect(await ADVANCE.run(redis, [record], ['sent', TTL_MS, 'msgid', '9007199254740993'])).toBe('sent');
    expect(await redis.pttl(record)).toBeGreaterThan(TTL_MS - 5_000);
    expect(await ADVANCE.run(redis, [record], ['delivered', TTL_MS])).toBe('delivered');
    expect(await redis.hgetall(record)).toEqual({ status: 'delivered', msgid: '9007199254740993' });
  });

  it('never moves back or sideways: a late sent after delivered, a failed report after delivered', async () => {
    const record = key(tag(), 'ntf');
    await redis.hset(record, 'status', 'delivered');
    expect(await ADVANCE.run(redis, [record], ['sent', TTL_MS, 'msgid', '1'])).toBe('delivered');
    expect(await ADVANCE.run(redis, [record], ['failed', TTL_MS, 'reason', 'x'])).toBe('delivered');
    expect(await ADVANCE.run(redis, [record], ['queued', TTL_MS])).toBe('delivered');
    expect(await redis.hgetall(record)).toEqual({ status: 'delivered' });
  });

  it('a report may come before the sent is recorded: queued -> delivered', async () => {
    const record = key(tag(), 'ntf');
    await redis.hset(record, 'status', 'queued');
    expect(await ADVANCE.run(redis, [record], ['delivered', TTL_MS])).toBe('delivered');
  });

  it('answers nil without a record (writing nothing), and leaves an unknown status alone', async () => {
    const slot = tag();
    const missing = key(slot, 'missing');
    expect(await ADVANCE.run(redis, [missing], ['sent', TTL_MS])).toBeNull();
    expect(await redis.exists(missing)).toBe(0);
    const odd = key(slot, 'odd');
    await redis.hset(odd, 'status', 'exploded');
    expect(await ADVANCE.run(redis, [odd], ['refused', TTL_MS])).toBe('exploded');
    // A status the script does not know as a target is never written.
    const queued = key(slot, 'queued');
    await redis.hset(queued, 'status', 'queued');
    expect(await ADVANCE.run(redis, [queued], ['bogus', TTL_MS])).toBe('queued');
  });

  it('fails on a record that is not a hash (WRONGTYPE)', async () => {
    const record = key(tag(), 'ntf');
    await redis.set(record, 'queued');
    await expect(ADVANCE.run(redis, [record], ['sent', TTL_MS])).rejects.toThrow(/^WRONGTYPE/);
  });
});

describe('consent-take.lua', () => {
  it('takes credits one by one and deletes the field at zero; none left answers 0', async () => {
    const consent = key(tag(), 'consent');
    await redis.hset(consent, 'T1', '2');
    expect(await TAKE.run(redis, [consent], ['T1'])).toBe(1);
    expect(await redis.hget(consent, 'T1')).toBe('1');
    expect(await TAKE.run(redis, [consent], ['T1'])).toBe(1);
    expect(await redis.hexists(consent, 'T1')).toBe(0);
    expect(await TAKE.run(redis, [consent], ['T1'])).toBe(0);
    expect(await TAKE.run(redis, [consent], ['T2'])).toBe(0);
  });

  it('reads a garbled or negative credit as none; fails on a key that is not a hash', async () => {
    const slot = tag();
    const consent = key(slot, 'consent');
    await redis.hset(consent, 'T1', '-3', 'T2', 'many');
    expect(await TAKE.run(redis, [consent], ['T1'])).toBe(0);
    await expect(TAKE.run(redis, [consent], ['T2'])).rejects.toThrow(/attempt to compare/);
    const wrong = key(slot, 'wrong');
    await redis.set(wrong, '1');
    await expect(TAKE.run(redis, [wrong], ['T1'])).rejects.toThrow(/^WRONGTYPE/);
  });
});

describe('consent-apply.lua', () => {
  it("applies a push's accepts and rejects in order, once: the second run answers 0 and changes nothing", async () => {
    const slot = tag();
    const consent = key(slot, 'consent');
    const marker = key(slot, 'applied:in-1');
    await redis.hset(consent, 'T3', '4');
    const args = [TTL_MS, 10_000, 'T1', 'accept', 'T2', 'accept', 'T2', 'reject', 'T3', 'reject', 'T1', 'accept'];
    expect(await APPLY.run(redis, [consent, marker], args)).toBe(1);
    expect(await redis.hgetall(consent)).toEqual({ T1: '2' });
    expect(await redis.pttl(consent)).toBeGreaterThan(TTL_MS - 5_000);
    expect(await redis.pttl(marker)).toBeGreaterThan(5_000);
    expect(await APPLY.run(redis, [consent, marker], args)).toBe(0);
    expect(await redis.hgetall(consent)).toEqual({ T1: '2' });
  });

  it('a push of only rejects on a user without credits leaves no hash behind', async () => {
    const slot = tag();
    const consent = key(slot, 'consent');
    expect(await APPLY.run(redis, [consent, key(slot, 'applied')], [TTL_MS, 10_000, 'T1', 'reject'])).toBe(1);
    expect(await redis.exists(consent)).toBe(0);
  });

  it('fails on a consent key that is not a hash without marking the push, so a retry after a repair applies it', async () => {
    const slot = tag();
    const consent = key(slot, 'consent');
    const marker = key(slot, 'applied');
    await redis.set(consent, 'x');
    const args = [TTL_MS, 10_000, 'T1', 'accept'];
    await expect(APPLY.run(redis, [consent, marker], args)).rejects.toThrow(/WRONGTYPE the consent key holds a string/);
    expect(await redis.exists(marker)).toBe(0);
    await redis.del(consent);
    expect(await APPLY.run(redis, [consent, marker], args)).toBe(1);
    expect(await redis.hgetall(consent)).toEqual({ T1: '1' });
  });
});
