import { describe, expect, it } from 'vitest';
import { raceTimeout } from './race-timeout.js';

describe('raceTimeout', () => {
  it('gives the value, or the fallback once the time is up', async () => {
    expect(await raceTimeout(Promise.resolve('done'), 1_000, () => 'late')).toBe('done');
    expect(await raceTimeout(new Promise(() => undefined), 10, () => 'late')).toBe('late');
  });

  it('passes on a rejection in time, and what onTimeout throws once the time is up', async () => {
    const failure = new Error('refused');
    await expect(raceTimeout(Promise.reject(failure), 1_000, () => 'late')).rejects.toBe(failure);
    const late = new Error('no answer');
    await expect(
      raceTimeout(new Promise(() => undefined), 10, () => {
        throw late;
      }),
    ).rejects.toBe(late);
  });
});
