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
const CREATE_BATCH = script('records-create');
const STATUSES = script('records-status');
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

/** record-advance.lua's ARGV for a move that points no index at the record. */
const moveArgs = (status: string, ...fields: string[]) => [status, TTL_MS, 0, 0, '', ...fields];

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

describe('records-create.lua', () => {
  it('creates the missing records of a batch with the shared fields, each its own id and recipient', async () => {
    const slot = tag();
    const [a, b, c] = [key(slot, 'ntf:a'), key(slot, 'ntf:b'), key(slot, 'ntf:c')];
    await redis.hset(b, 'status', 'sent', 'to', 'old');
    const shared = ['status', 'queued', 'campaign', 'cmp1'];
    expect(await CREATE_BATCH.run(redis, [a, b, c], [TTL_MS, 2, ...shared, 'a', 'oA', 'b', 'oB', 'c', 'oC'])).toBe(2);
    expect(await redis.hgetall(a)).toEqual({ id: 'a', to: 'oA', status: 'queued', campaign: 'cmp1' });
    expect(await redis.hgetall(b)).toEqual({ status: 'sent', to: 'old' });
    expect(await redis.hgetall(c)).toEqual({ id: 'c', to: 'oC', status: 'queued', campaign: 'cmp1' });
    expect(await redis.pttl(c)).toBeGreaterThan(TTL_MS - 5_000);
    expect(await redis.pttl(b)).toBe(-1);
  });

  it('refuses arguments that do not match its keys, writing nothing', async () => {
    const slot = tag();
    const [a, b] = [key(slot, 'ntf:a'), key(slot, 'ntf:b')];
    // b's recipient missing; a shared count that is not a number; one pair too many.
    await expect(CREATE_BATCH.run(redis, [a, b], [TTL_MS, 1, 'status', 'queued', 'a', 'oA', 'b'])).rejects.toThrow(
      /ARGV does not match/,
    );
    await expect(CREATE_BATCH.run(redis, [a], [TTL_MS, 'x', 'a', 'oA'])).rejects.toThrow(/ARGV does not match/);
    await expect(CREATE_BATCH.run(redis, [a], [TTL_MS, 0, 'a', 'oA', 'b', 'oB'])).rejects.toThrow(
      /ARGV does not match/,
    );
    expect(await redis.exists(a, b)).toBe(0);
  });
});

describe('records-status.lua', () => {
  it("answers each record's status in order, nil for one that is not there; fails on a key not a hash", async () => {
    const slot = tag();
    const [a, b, missing] = [key(slot, 'ntf:a'), key(slot, 'ntf:b'), key(slot, 'ntf:missing')];
    await redis.hset(a, 'status', 'sent');
    await redis.hset(b, 'status', 'queued', 'to', 'oB');
    expect(await STATUSES.run(redis, [a, missing, b], [])).toEqual(['sent', null, 'queued']);
    expect(await STATUSES.run(redis, [missing], [])).toEqual([null]);
    await redis.set(missing, 'x');
    await expect(STATUSES.run(redis, [a, missing], [])).rejects.toThrow(/^WRONGTYPE/);
  });
});

describe('record-advance.lua', () => {
  it('moves queued -> sent -> delivered, writing the detail and renewing the ttl', async () => {
    const record = key(tag(), 'ntf');
    await redis.hset(record, 'status', 'queued');
    expect(await ADVANCE.run(redis, [record], moveArgs('sent', 'msgid', '9007199254740993'))).toBe('sent');
    expect(await redis.pttl(record)).toBeGreaterThan(TTL_MS - 5_000);
    expect(await ADVANCE.run(redis, [record], moveArgs('delivered'))).toBe('delivered');
    expect(await redis.hgetall(record)).toEqual({ status: 'delivered', msgid: '9007199254740993' });
  });

  it('never moves back or sideways: a late sent after delivered, a failed report after delivered', async () => {
    const record = key(tag(), 'ntf');
    await redis.hset(record, 'status', 'delivered');
    expect(await ADVANCE.run(redis, [record], moveArgs('sent', 'msgid', '1'))).toBe('delivered');
    expect(await ADVANCE.run(redis, [record], moveArgs('failed', 'reason', 'x'))).toBe('delivered');
    expect(await ADVANCE.run(redis, [record], moveArgs('queued'))).toBe('delivered');
    expect(await redis.hgetall(record)).toEqual({ status: 'delivered' });
  });

  it('a report may come before the sent is recorded: queued -> delivered', async () => {
    const record = key(tag(), 'ntf');
    await redis.hset(record, 'status', 'queued');
    expect(await ADVANCE.run(redis, [record], moveArgs('delivered'))).toBe('delivered');
  });

  it('answers nil without a record (writing nothing), and leaves an unknown status alone', async () => {
    const slot = tag();
    const missing = key(slot, 'missing');
    expect(await ADVANCE.run(redis, [missing], moveArgs('sent'))).toBeNull();
    expect(await redis.exists(missing)).toBe(0);
    const odd = key(slot, 'odd');
    await redis.hset(odd, 'status', 'exploded');
    expect(await ADVANCE.run(redis, [odd], moveArgs('refused'))).toBe('exploded');
    // A status the script does not know as a target is never written.
    const queued = key(slot, 'queued');
    await redis.hset(queued, 'status', 'queued');
    expect(await ADVANCE.run(redis, [queued], moveArgs('bogus'))).toBe('queued');
  });

  it('points the indexes at the record in the same call, and counts the move in the campaign after them', async () => {
    const slot = tag();
    const [record, byMsgid, last, campaign] = [
      key(slot, 'ntf'),
      key(slot, 'msgid'),
      key(slot, 'last'),
      key(slot, 'cmp'),
    ];
    await redis.hset(record, 'status', 'queued');
    await redis.hset(campaign, 'status', 'running', 'queued', '2', 'sent', '0');
    const args = ['sent', TTL_MS, 2, 30_000, 'ntf_1', 'msgid', '77'];
    expect(await ADVANCE.run(redis, [record, byMsgid, last, campaign], args)).toBe('sent');
    expect(await redis.mget(byMsgid, last)).toEqual(['ntf_1', 'ntf_1']);
    expect(await redis.pttl(last)).toBeGreaterThan(25_000);
    expect(await redis.pttl(last)).toBeLessThanOrEqual(30_000);
    expect(await redis.hgetall(campaign)).toEqual({ status: 'running', queued: '1', sent: '1' });
    expect(await redis.hgetall(record)).toEqual({ status: 'sent', msgid: '77' });
  });

  it('a re-run past the stage still points the indexes (a report finds the record); without a record, nothing', async () => {
    const slot = tag();
    const [record, last, missing, lastOfMissing] = [
      key(slot, 'ntf'),
      key(slot, 'last'),
      key(slot, 'missing'),
      key(slot, 'last2'),
    ];
    await redis.hset(record, 'status', 'delivered');
    expect(await ADVANCE.run(redis, [record, last], ['sent', TTL_MS, 1, 30_000, 'ntf_2'])).toBe('delivered');
    expect(await redis.get(last)).toBe('ntf_2');
    expect(await redis.hgetall(record)).toEqual({ status: 'delivered' });
    expect(await ADVANCE.run(redis, [missing, lastOfMissing], ['sent', TTL_MS, 1, 30_000, 'ntf_3'])).toBeNull();
    expect(await redis.exists(missing, lastOfMissing)).toBe(0);
  });

  it('fails on a record that is not a hash (WRONGTYPE)', async () => {
    const record = key(tag(), 'ntf');
    await redis.set(record, 'queued');
    await expect(ADVANCE.run(redis, [record], moveArgs('sent'))).rejects.toThrow(/^WRONGTYPE/);
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
