import { describe, expect, it } from 'vitest';
import { pollUntil } from './poll.js';

describe('pollUntil', () => {
  it('resolves once the check holds, treating a rejection as "not yet"', async () => {
    let calls = 0;
    await pollUntil(
      () => {
        calls += 1;
        return calls === 1 ? Promise.reject(new Error('refused')) : Promise.resolve(calls >= 3);
      },
      { message: 'the third call', timeoutMs: 2_000, intervalMs: 1 },
    );
    expect(calls).toBe(3);
  });

  it('times out, even on a hung check, naming what it waited for and the last error', async () => {
    const refused = new Error('ECONNREFUSED');
    const failing = pollUntil(() => Promise.reject(refused), {
      message: 'redis to answer PING',
      timeoutMs: 30,
      intervalMs: 5,
    });
    await expect(failing).rejects.toThrow('redis to answer PING (timed out after 30 ms; last error: ECONNREFUSED)');
    await expect(failing).rejects.toHaveProperty('cause', refused);
    await expect(
      pollUntil(() => new Promise<boolean>(() => undefined), { message: 'a hung check', timeoutMs: 30 }),
    ).rejects.toThrow(/^a hung check \(timed out/);
  });

  it('returns the truthy value, and builds its timeout error with timeoutError when given one', async () => {
    expect(await pollUntil(() => 'ready', { message: 'a value', timeoutMs: 1_000 })).toBe('ready');
    class CustomTimeout extends Error {}
    const refused = new Error('refused');
    const failing = pollUntil(() => Promise.reject(refused), {
      message: 'a custom error',
      timeoutMs: 20,
      intervalMs: 5,
      timeoutError: (message, options) => new CustomTimeout(message, options),
    });
    await expect(failing).rejects.toBeInstanceOf(CustomTimeout);
    await expect(failing).rejects.toHaveProperty('cause', refused);
  });

  it('stops at once with the reason its signal aborts with', async () => {
    const controller = new AbortController();
    const exited = new Error('redis-server exited');
    const waiting = pollUntil(() => Promise.resolve(false), {
      message: 'never',
      timeoutMs: 10_000,
      signal: controller.signal,
    });
    controller.abort(exited);
    await expect(waiting).rejects.toBe(exited);
  });
});
