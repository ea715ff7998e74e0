import { describe, expect, it } from 'vitest';
import { waitFor, WaitForTimeoutError } from './wait-for.js';

describe('waitFor', () => {
  it('returns the first truthy value, checking again until it comes', async () => {
    let calls = 0;
    const value = await waitFor(
      () => {
        calls += 1;
        return calls >= 3 ? `ready after ${calls}` : undefined;
      },
      { message: 'the third call', intervalMs: 1 },
    );
    expect(value).toBe('ready after 3');
    expect(calls).toBe(3);
  });

  it('treats a throwing or rejecting check as "not yet"', async () => {
    let calls = 0;
    const value = await waitFor(
      () => {
        calls += 1;
        if (calls === 1) throw new Error('sync failure');
        if (calls === 2) return Promise.reject(new Error('async failure'));
        return Promise.resolve(42);
      },
      { message: 'a working check', intervalMs: 1 },
    );
    expect(value).toBe(42);
  });

  it('times out with the message and the last error as cause', async () => {
    const lastError = new Error('queue still has 3 jobs');
    const waiting = waitFor(
      () => {
        throw lastError;
      },
      { message: 'the queue to drain', timeoutMs: 50, intervalMs: 5 },
    );
    await expect(waiting).rejects.toThrow(WaitForTimeoutError);
    await expect(waiting).rejects.toThrow(
      /^the queue to drain \(timed out after 50 ms; last error: queue still has 3 jobs\)$/,
    );
    await expect(waiting).rejects.toHaveProperty('cause', lastError);
  });

  it('says so when the check never threw but never held either', async () => {
    await expect(waitFor(() => false, { message: 'never', timeoutMs: 20, intervalMs: 5 })).rejects.toThrow(
      'never (timed out after 20 ms; the condition never held)',
    );
  });

  it('times out even while a check is still pending', async () => {
    const startedAt = Date.now();
    const hung = waitFor(() => new Promise<boolean>(() => undefined), { message: 'a hung check', timeoutMs: 50 });
    await expect(hung).rejects.toThrow(/^a hung check \(timed out after 50 ms/);
    // Generous upper bound: only proves the wait did not hang on the pending check.
    expect(Date.now() - startedAt).toBeLessThan(2_000);
  });

  it('stops at once when its signal aborts, with the reason', async () => {
    const controller = new AbortController();
    const reason = new Error('the server exited');
    const waiting = waitFor(() => false, { message: 'never', timeoutMs: 10_000, signal: controller.signal });
    controller.abort(reason);
    await expect(waiting).rejects.toBe(reason);
    await expect(waitFor(() => true, { message: 'x', signal: controller.signal })).rejects.toBe(reason);
  });
});
