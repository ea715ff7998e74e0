import { defineHandlers } from '@wxq/handlers';
import { type RedisServer, startRedisServer, waitFor } from '@wxq/testing';
import { createMessage } from '@wxq/wechat-sim';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type WorkerHarness, startHarness } from './harness.js';

// Per-user ordering (docs/ordering.md) across worker processes, with a simulator that is slow
// at random and answers -1 at random, and a worker killed mid-run.

// A killed worker's jobs come back within ~3 s instead of production's ~30 s.
// These send more than WeChat allows one user (5 per message): quotas, worker and simulator, are
// the quota suite's subject, off here.
const FAST_RECOVERY = {
  WXQ_CS_QUOTA: 'off',
  WORKER_LOCK_DURATION_MS: '2000',
  WORKER_STALLED_INTERVAL_MS: '1000',
  WORKER_CONCURRENCY: '5',
  OUTBOUND_CONCURRENCY: '5',
};
const SEND = '/cgi-bin/message/custom/send';

let redis: RedisServer;
let harness: WorkerHarness | undefined;

beforeAll(async () => {
  // Suites here kill processes that hold Redis connections: a Redis of their own.
  redis = await startRedisServer();
});

afterEach(async () => {
  // Kills the test's worker processes first.
  await harness?.stop();
  harness = undefined;
});

afterAll(async () => {
  await redis.stop();
});

/** Random latency on ~40% of sends and -1 ("system busy") on ~15%: out-of-order bait. */
function makeWechatUnreliable(h: WorkerHarness): void {
  h.sim.injectFault({ path: SEND, errcode: -1, times: Number.POSITIVE_INFINITY, when: () => Math.random() < 0.15 });
  for (const latencyMs of [20, 60, 150]) {
    h.sim.injectFault({ path: SEND, latencyMs, times: Number.POSITIVE_INFINITY, when: () => Math.random() < 0.15 });
  }
}

function textsTo(h: WorkerHarness, user: string): string[] {
  return h.sim.sends.filter((s) => s.message.touser === user).map((s) => contentOf(s.message['text']));
}

/** What a run that never finished left behind, for the timeout's message (seen once, under a full suite). */
async function stateOf(h: WorkerHarness, users: readonly string[]): Promise<string> {
  const lanes = await h.redis.keys('*:lane:*');
  // The lanes themselves (sorted sets), not their `left` markers.
  const members = await Promise.all(
    lanes.map(async (lane) =>
      (await h.redis.type(lane)) === 'zset' ? [`${lane}: ${(await h.redis.zrange(lane, 0, -1)).join(' ')}`] : [],
    ),
  );
  return [
    ...users.map((u) => `${u}: ${textsTo(h, u).join(', ')}`),
    `inbound: ${JSON.stringify(await h.inbound.getJobCounts())}`,
    `outbound: ${JSON.stringify(await h.outbound.getJobCounts())}`,
    ...members.flat(),
    ...h.logs
      .lines()
      .filter((line) => Number(line['level']) >= 40)
      .slice(-20)
      .map((line) => JSON.stringify(line)),
  ].join('\n');
}

function contentOf(text: unknown): string {
  return typeof text === 'object' && text !== null && 'content' in text && typeof text.content === 'string'
    ? text.content
    : '?';
}

/** A repeat right after itself is at-least-once after a crash; anything else out of place is a bug. */
function withoutImmediateRepeats(texts: readonly string[]): string[] {
  return texts.filter((text, i) => i === 0 || texts[i - 1] !== text);
}

describe('per-user ordering', () => {
  it('3 workers: one handler at a time per user, in push order, and replies in order despite latency and -1', async () => {
    harness = await startHarness(redis.url, FAST_RECOVERY, { enforceQuota: false });
    const h = harness;
    makeWechatUnreliable(h);
    const running = new Map<string, number>();
    const overlaps: string[] = [];
    const handled = new Map<string, string[]>();
    const handlers = defineHandlers((r) =>
      r.text(/[\s\S]*/, async (message, ctx) => {
        const user = message.FromUserName;
        if ((running.get(user) ?? 0) > 0) overlaps.push(`${user}: ${message.Content}`);
        running.set(user, (running.get(user) ?? 0) + 1);
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 15));
        handled.set(user, [...(handled.get(user) ?? []), message.Content]);
        for (let i = 1; i <= 3; i += 1) ctx.reply.text(`${message.Content} ${i}/3`);
        running.set(user, (running.get(user) ?? 1) - 1);
      }),
    );
    h.startWorkers(3, handlers);
    const users = Array.from({ length: 8 }, (_, u) => `oOrderUser${String(u).padStart(18, '0')}`);
    const rounds = 6;
    for (let m = 0; m < rounds; m += 1) {
      for (const user of users) await h.push(createMessage.text(`m${m}`, { openid: user }));
    }
    const expected = () => Array.from({ length: rounds }, (_, m) => [1, 2, 3].map((i) => `m${m} ${i}/3`)).flat();
    await waitFor(() => users.every((u) => textsTo(h, u).length >= rounds * 3), {
      timeoutMs: 60_000,
      message: 'every reply sent',
    }).catch(async (error: unknown) => {
      throw new Error(`${String(error)}\n${await stateOf(h, users)}`, { cause: error });
    });
    expect(overlaps).toEqual([]);
    for (const user of users) {
      expect(handled.get(user)).toEqual(Array.from({ length: rounds }, (_, m) => `m${m}`));
      expect(textsTo(h, user)).toEqual(expected());
    }
    // The -1s were real: some sends were refused and retried.
    expect(h.sim.calls.filter((c) => c.path === SEND && c.errcode === -1).length).toBeGreaterThan(0);
  }, 90_000);

  it('a worker process killed mid-run: replies may repeat, never jump ahead', async () => {
    harness = await startHarness(redis.url, FAST_RECOVERY, { enforceQuota: false });
    const h = harness;
    makeWechatUnreliable(h);
    const users = Array.from({ length: 6 }, (_, u) => `oKillUser${String(u).padStart(19, '0')}`);
    const rounds = 5;
    for (let m = 0; m < rounds; m += 1) {
      for (const user of users) await h.push(createMessage.text(`#multi 3 m${m}`, { openid: user }));
    }
    // Worker processes with the demo handlers, whose #multi records N replies in order.
    const victim = h.startWorkerProcess();
    h.startWorkerProcess();
    await waitFor(() => h.sim.sends.length >= 25, { timeoutMs: 30_000, message: 'the workers started answering' });
    victim.signal('SIGKILL');
    expect((await victim.exited).signal).toBe('SIGKILL');
    expect(h.sim.sends.length).toBeLessThan(users.length * rounds * 3);
    h.startWorkerProcess();

    const expected = Array.from({ length: rounds }, (_, m) => [1, 2, 3].map((i) => `${i}/3 m${m}`)).flat();
    await waitFor(() => users.every((u) => withoutImmediateRepeats(textsTo(h, u)).length >= expected.length), {
      timeoutMs: 60_000,
      message: 'every reply sent after the kill',
    });
    for (const user of users) expect(withoutImmediateRepeats(textsTo(h, user))).toEqual(expected);
  }, 90_000);

  it('a user whose handler is slow delays no other user', async () => {
    harness = await startHarness(redis.url, FAST_RECOVERY, { enforceQuota: false });
    const h = harness;
    h.startWorkers(1);
    const slow = 'oSlowUser0000000000000000000';
    const quick = 'oQuickUser000000000000000000';
    await h.push(createMessage.text('#slow 3000 slow done', { openid: slow }));
    await h.push(createMessage.text('after the slow one', { openid: slow }));
    const pushedAt = Date.now();
    await h.push(createMessage.text('quick', { openid: quick }));
    await waitFor(() => textsTo(h, quick).length === 1, { timeoutMs: 10_000, message: 'the quick user answered' });
    const quickAnsweredMs = Date.now() - pushedAt;
    expect(quickAnsweredMs).toBeLessThan(2_000);
    expect(textsTo(h, slow)).toEqual([]);
    await waitFor(() => textsTo(h, slow).length === 2, { timeoutMs: 15_000, message: 'the slow user answered' });
    expect(textsTo(h, slow)).toEqual(['slow done', 'after the slow one']);
  });
});
