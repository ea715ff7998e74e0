import { describe, expect, it } from 'vitest';
import { coalesce } from './coalesce.js';

/** A sendBatch that records its batches and answers each item after `settle()`. */
function recorder() {
  const batches: number[][] = [];
  let release: () => void = () => undefined;
  let gate = new Promise<void>((resolve) => (release = resolve));
  const sendBatch = (items: readonly number[]) => {
    batches.push([...items]);
    const settled = gate;
    return items.map((item) => settled.then(() => item * 10));
  };
  const settle = () => {
    release();
    gate = new Promise<void>((resolve) => (release = resolve));
  };
  return { batches, sendBatch, settle };
}

describe('coalesce', () => {
  it('sends an item at once when nothing is in flight', async () => {
    const { batches, sendBatch, settle } = recorder();
    const send = coalesce(sendBatch, 50);
    const answer = send(1);
    expect(batches).toEqual([[1]]);
    settle();
    expect(await answer).toBe(10);
  });

  it('batches what arrives while a send is in flight, one batch per event-loop turn, in order', async () => {
    const { batches, sendBatch, settle } = recorder();
    const send = coalesce(sendBatch, 50);
    const first = send(1);
    const rest = [2, 3, 4].map((item) => send(item));
    expect(batches).toEqual([[1]]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(batches).toEqual([[1], [2, 3, 4]]);
    settle();
    expect(await Promise.all([first, ...rest])).toEqual([10, 20, 30, 40]);
  });

  it('sends a full batch without waiting for the turn to end', () => {
    const { batches, sendBatch } = recorder();
    const send = coalesce(sendBatch, 3);
    for (let item = 1; item <= 7; item += 1) void send(item);
    expect(batches).toEqual([[1], [2, 3, 4], [5, 6, 7]]);
  });

  it('goes back to sending at once when the in-flight sends have settled', async () => {
    const { batches, sendBatch, settle } = recorder();
    const send = coalesce(sendBatch, 50);
    const answers = [send(1), send(2)];
    await new Promise((resolve) => setImmediate(resolve));
    settle();
    await Promise.all(answers);
    await new Promise((resolve) => setImmediate(resolve));
    void send(3);
    expect(batches).toEqual([[1], [2], [3]]);
  });

  it('rejects every item of a batch whose send throws, and keeps working', async () => {
    let calls = 0;
    const send = coalesce<number, number>((items) => {
      calls += 1;
      if (calls === 1) throw new Error('connection refused');
      return items.map((item) => Promise.resolve(item));
    }, 50);
    await expect(send(1)).rejects.toThrow('connection refused');
    expect(await send(2)).toBe(2);
  });

  it('rejects an item that sendBatch answered no result for', async () => {
    const send = coalesce<number, number>(() => [], 50);
    await expect(send(1)).rejects.toThrow('fewer results');
  });

  it('a rejected item does not reject the others of its batch', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const send = coalesce<number, number>(
      (items) => items.map((item) => gate.then(() => (item === 3 ? Promise.reject(new Error('three')) : item))),
      50,
    );
    const answers = [1, 2, 3, 4].map((item) => send(item));
    await new Promise((resolve) => setImmediate(resolve));
    release();
    const settled = await Promise.allSettled(answers);
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
  });
});
