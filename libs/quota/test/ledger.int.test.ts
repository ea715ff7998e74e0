import { randomUUID } from 'node:crypto';
import { createKeys } from '@wxq/redis';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { EVENT_WINDOW_MS, MESSAGE_WINDOW_MS, type QuotaLedger, createQuotaLedger } from '../src/index.js';

const redis = new Redis(inject('redisUrl'));
afterAll(async () => {
  await redis.quit();
});

const APP = 'wx0123456789abcdef';
const rules = { messageSends: 5, eventSends: 3 };

function ledgerAt(clock: { now: number }): { ledger: QuotaLedger; user: string } {
  const keys = createKeys(`{test-${randomUUID()}}`);
  return {
    ledger: createQuotaLedger({ redis, keyOf: keys.quota, rules, now: () => clock.now }),
    user: `o${randomUUID()}`,
  };
}

async function drain(ledger: QuotaLedger, user: string): Promise<string[]> {
  const kinds: string[] = [];
  for (;;) {
    const taken = await ledger.reserve(APP, user);
    if (taken === undefined) return kinds;
    kinds.push(taken.kind);
  }
}

describe('quota ledger', () => {
  it('a user message grants 5 sends for 48 h from its CreateTime; nothing without a grant', async () => {
    const clock = { now: 1_700_000_000_000 };
    const { ledger, user } = ledgerAt(clock);
    expect(await ledger.reserve(APP, user)).toBeUndefined();
    expect(await ledger.grant(APP, user, 'message', clock.now, 'push-1')).toEqual({
      sendsLeft: 5,
      until: clock.now + MESSAGE_WINDOW_MS,
    });
    expect(await drain(ledger, user)).toEqual(['message', 'message', 'message', 'message', 'message']);
  });

  it('the window closes 48 h after the message was created, not after it was handled', async () => {
    const clock = { now: 1_700_000_000_000 };
    const { ledger, user } = ledgerAt(clock);
    await ledger.grant(APP, user, 'message', clock.now - MESSAGE_WINDOW_MS + 1_000, 'push-2');
    clock.now += 999;
    expect(await ledger.reserve(APP, user)).toBeDefined();
    clock.now += 2;
    expect(await ledger.reserve(APP, user)).toBeUndefined();
  });

  it('an event grants 3 sends for 60 s, and sends come from the window that closes first', async () => {
    const clock = { now: 1_700_000_000_000 };
    const { ledger, user } = ledgerAt(clock);
    await ledger.grant(APP, user, 'message', clock.now, 'push-3');
    const view = await ledger.grant(APP, user, 'event', clock.now, 'push-4');
    expect(view).toEqual({ sendsLeft: 8, until: clock.now + MESSAGE_WINDOW_MS });
    expect(await drain(ledger, user)).toEqual([
      'event',
      'event',
      'event',
      'message',
      'message',
      'message',
      'message',
      'message',
    ]);
    await ledger.grant(APP, user, 'event', clock.now, 'push-5');
    clock.now += EVENT_WINDOW_MS;
    expect(await ledger.reserve(APP, user)).toBeUndefined();
  });

  it('a new grant of a kind replaces the old one: no accumulation; an older one changes nothing', async () => {
    const clock = { now: 1_700_000_000_000 };
    const { ledger, user } = ledgerAt(clock);
    await ledger.grant(APP, user, 'message', clock.now, 'push-6');
    await ledger.reserve(APP, user);
    expect((await ledger.grant(APP, user, 'message', clock.now + 1, 'push-7')).sendsLeft).toBe(5);
    // A push handled late (ordering off) must not reopen what a newer one set.
    await ledger.reserve(APP, user);
    expect((await ledger.grant(APP, user, 'message', clock.now - 10, 'push-8')).sendsLeft).toBe(4);
    // The same push granted again (its handler re-ran) keeps what was spent.
    expect((await ledger.grant(APP, user, 'message', clock.now + 1, 'push-7')).sendsLeft).toBe(4);
    // Another push of the same second is a new interaction: a fresh window.
    await ledger.reserve(APP, user);
    expect((await ledger.grant(APP, user, 'message', clock.now + 1, 'push-9')).sendsLeft).toBe(5);
    expect(await ledger.view(APP, user)).toEqual({ sendsLeft: 5, until: clock.now + 1 + MESSAGE_WINDOW_MS });
  });

  it('45047 uses the sends up and 45015 closes the windows, until the next interaction', async () => {
    const clock = { now: 1_700_000_000_000 };
    const { ledger, user } = ledgerAt(clock);
    await ledger.grant(APP, user, 'message', clock.now, 'push-10');
    await ledger.correct(APP, user, 'exhaust');
    expect(await ledger.reserve(APP, user)).toBeUndefined();
    await ledger.grant(APP, user, 'message', clock.now + 1, 'push-11');
    await ledger.correct(APP, user, 'close');
    expect(await ledger.reserve(APP, user)).toBeUndefined();
    expect((await ledger.grant(APP, user, 'event', clock.now + 2, 'push-12')).sendsLeft).toBe(3);
  });

  it('a refund gives a send back only to the grant it came from', async () => {
    const clock = { now: 1_700_000_000_000 };
    const { ledger, user } = ledgerAt(clock);
    await ledger.grant(APP, user, 'message', clock.now, 'push-13');
    const taken = await ledger.reserve(APP, user);
    expect(taken).toBeDefined();
    if (taken === undefined) return;
    await ledger.refund(APP, user, taken);
    expect(await drain(ledger, user)).toHaveLength(5);
    const last = await ledger.grant(APP, user, 'message', clock.now + 5, 'push-14');
    await ledger.refund(APP, user, taken);
    expect(last.sendsLeft).toBe(5);
    expect(await drain(ledger, user)).toHaveLength(5);
  });

  it('takes nothing while a key the send would wait behind exists (an earlier reply in the lane)', async () => {
    const clock = { now: 1_700_000_000_000 };
    const keys = createKeys(`{test-${randomUUID()}}`);
    const ledger = createQuotaLedger({ redis, keyOf: keys.quota, rules, now: () => clock.now });
    const user = `o${randomUUID()}`;
    const lane = keys.lane('outbound', APP, user);
    await ledger.grant(APP, user, 'message', clock.now, 'push-15a');
    await redis.zadd(lane, 1, 'earlier-reply');
    expect(await ledger.reserveUnless(APP, user, lane)).toBe('guarded');
    expect((await ledger.view(APP, user)).sendsLeft).toBe(5);
    await redis.del(lane);
    expect(await ledger.reserveUnless(APP, user, lane)).toEqual({
      kind: 'message',
      until: clock.now + MESSAGE_WINDOW_MS,
    });
    expect((await ledger.view(APP, user)).sendsLeft).toBe(4);
    // No window and no guard: nothing to take, and nothing said about the lane.
    expect(await ledger.reserveUnless(APP, `o${randomUUID()}`, lane)).toBeUndefined();
  });

  it('concurrent reserves from many connections never spend one send twice', async () => {
    const clock = { now: Date.now() };
    const keys = createKeys(`{test-${randomUUID()}}`);
    const connections = Array.from({ length: 5 }, () => new Redis(inject('redisUrl')));
    try {
      const ledgers = connections.map((c) =>
        createQuotaLedger({ redis: c, keyOf: keys.quota, rules, now: () => clock.now }),
      );
      const user = `o${randomUUID()}`;
      await ledgers[0]?.grant(APP, user, 'message', clock.now, 'push-15');
      const results = await Promise.all(
        Array.from(
          { length: 40 },
          (_, i) => (ledgers[i % ledgers.length] ?? ledgers[0])?.reserve(APP, user) ?? Promise.resolve(undefined),
        ),
      );
      expect(results.filter((r) => r !== undefined)).toHaveLength(5);
    } finally {
      await Promise.all(connections.map((c) => c.quit()));
    }
  });

  it('Typing: only with a send allowed, within 30 s of an interaction, not while one shows (15 s), never from quota', async () => {
    const clock = { now: 1_700_000_000_000 };
    const { ledger, user } = ledgerAt(clock);
    expect(await ledger.typing(APP, user)).toBe('no_window');
    await ledger.grant(APP, user, 'message', clock.now, 'push-16');
    expect(await ledger.typing(APP, user)).toBe('ok');
    expect(await ledger.typing(APP, user)).toBe('already_typing');
    clock.now += 15_001;
    expect(await ledger.typing(APP, user)).toBe('ok');
    // A message sent ends the indicator.
    await ledger.reserve(APP, user);
    expect(await ledger.typing(APP, user)).toBe('ok');
    clock.now += 30_001;
    expect(await ledger.typing(APP, user)).toBe('no_interaction');
    expect(await drain(ledger, user)).toHaveLength(4);
    // Only when a send would be allowed: with the sends used up, no Typing either.
    expect(await ledger.typing(APP, user)).toBe('no_window');
  });

  it('keeps a user only as long as their longest window, plus a day', async () => {
    const clock = { now: Date.now() };
    const keys = createKeys(`{test-${randomUUID()}}`);
    const ledger = createQuotaLedger({ redis, keyOf: keys.quota, rules, now: () => clock.now });
    await ledger.grant(APP, 'oTtl', 'message', clock.now, 'push-17');
    await ledger.correct(APP, 'oNever', 'close');
    for (const user of ['oTtl', 'oNever']) {
      const ttl = await redis.pttl(keys.quota(APP, user));
      expect(ttl).toBeGreaterThan(MESSAGE_WINDOW_MS);
      expect(ttl).toBeLessThanOrEqual(MESSAGE_WINDOW_MS + 24 * 3600 * 1000);
    }
  });
});
