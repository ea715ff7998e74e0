import { defineHandlers } from '@wxq/handlers';
import { parsePrometheusText, sampleValue, waitFor } from '@wxq/testing';
import { createMessage } from '@wxq/wechat-sim';
import { afterEach, describe, expect, inject, it } from 'vitest';
import type { RunningWorker } from '../src/worker.js';
import { APP_ID, type WorkerHarness, startHarness } from './harness.js';

// WXQ_HANDLER_TIMEOUT_MS: a handler that never returns must not hold its user's lane and a worker
// slot forever, and what it recorded must never be sent.

let harness: WorkerHarness | undefined;
afterEach(async () => {
  await harness?.stop();
  harness = undefined;
});

const TIMEOUT_MS = 300;
const never = new Promise<never>(() => undefined);

function textsSent(h: WorkerHarness): string[] {
  return h.sim.sends.map(
    (s) => (s.message as { text?: { content?: string } }).text?.content ?? `<${s.message.msgtype}>`,
  );
}

async function timeouts(worker: RunningWorker): Promise<number | undefined> {
  const samples = parsePrometheusText(await worker.metrics.registry.metrics());
  return sampleValue(samples, 'wxq_worker_handler_timeouts_total', { account: APP_ID });
}

describe('handler timeouts', () => {
  it("a handler that never returns: each attempt is abandoned, its replies dropped, the push fails, the user's next push is answered", async () => {
    harness = await startHarness(inject('redisUrl'), {
      WXQ_HANDLER_TIMEOUT_MS: String(TIMEOUT_MS),
      HANDLER_ATTEMPTS: '2',
    });
    const h = harness;
    const aborted: unknown[] = [];
    const [worker] = h.startWorkers(
      1,
      defineHandlers((r) =>
        r
          .text('hang', async (_msg, ctx) => {
            ctx.reply.text('recorded before the timeout');
            ctx.signal.addEventListener('abort', () => aborted.push(ctx.signal.reason));
            await never;
          })
          .text(/[\s\S]*/, (msg, ctx) => {
            ctx.reply.text(`echo ${msg.Content}`);
          }),
      ),
    );
    const openid = 'o-hanging-user';
    await h.push(createMessage.text('hang', { openid }));
    await h.push(createMessage.text('next', { openid }));
    const failed = await waitFor(async () => (await h.inbound.getFailed())[0], {
      timeoutMs: 20_000,
      message: 'the hanging push failed',
    });
    expect(failed.failedReason).toContain('handler failed 2 times: handler timed out after 300 ms');
    expect(failed.attemptsMade).toBe(2);
    // The same user's next push waited for it, and no longer.
    await h.sim.waitForSends(1, 20_000);
    expect(textsSent(h)).toEqual(['echo next']);
    expect(aborted).toHaveLength(2);
    expect(aborted[0]).toBeInstanceOf(Error);
    expect((aborted[0] as Error).message).toContain('WXQ_HANDLER_TIMEOUT_MS');
    expect(await timeouts(worker as RunningWorker)).toBe(2);
    const lines = h.logs.lines().filter((l) => l['msg'] === 'handler timed out: its replies are dropped');
    expect(lines.map((l) => [l['route'], l['attempt'], l['timeoutMs'], l['level']])).toEqual([
      ['text hang', 1, TIMEOUT_MS, 40],
      ['text hang', 2, TIMEOUT_MS, 40],
    ]);
  });

  it('what a timed-out handler records later is never sent, even when it returns', async () => {
    harness = await startHarness(inject('redisUrl'), {
      WXQ_HANDLER_TIMEOUT_MS: String(TIMEOUT_MS),
      HANDLER_ATTEMPTS: '1',
    });
    const h = harness;
    let returned = false;
    h.startWorkers(
      1,
      defineHandlers((r) =>
        r
          .text('slow', async (_msg, ctx) => {
            ctx.reply.text('before');
            // Ignores its signal: it comes back well after the attempt was abandoned.
            await new Promise((resolve) => setTimeout(resolve, TIMEOUT_MS * 3));
            ctx.reply.text('after');
            ctx.reply.typing();
            returned = true;
          })
          .fallback((_msg, ctx) => {
            ctx.reply.text('other');
          }),
      ),
    );
    await h.push(createMessage.text('slow'));
    const failed = await waitFor(async () => (await h.inbound.getFailed())[0], {
      timeoutMs: 20_000,
      message: 'the push failed',
    });
    expect(failed.failedReason).toContain('timed out');
    await waitFor(() => returned, { timeoutMs: 10_000, message: 'the handler returned' });
    // A push of another user is answered and sent: the worker is free and sends go out.
    await h.push(createMessage.text('hello', { openid: 'o-another-user' }));
    await h.sim.waitForSends(1, 10_000);
    expect(textsSent(h)).toEqual(['other']);
    expect(await h.outbound.count()).toBe(0);
  });

  it('a handler that ends within the timeout is untouched, its signal never aborted', async () => {
    harness = await startHarness(inject('redisUrl'), { WXQ_HANDLER_TIMEOUT_MS: '5000' });
    const h = harness;
    let signalAborted: boolean | undefined;
    h.startWorkers(
      1,
      defineHandlers((r) =>
        r.fallback(async (_msg, ctx) => {
          await new Promise((resolve) => setTimeout(resolve, 50));
          signalAborted = ctx.signal.aborted;
          ctx.reply.text('in time');
        }),
      ),
    );
    await h.push(createMessage.text('quick'));
    await h.sim.waitForSends(1, 10_000);
    expect(textsSent(h)).toEqual(['in time']);
    expect(signalAborted).toBe(false);
  });
});
