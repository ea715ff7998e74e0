import { describe, expect, it } from 'vitest';
import { sizeFor } from './sizing.js';

const costs = {
  gatewayCpuMs: 0.3,
  workerCpuMs: 1,
  redisCpuMs: 0.05,
  redisBytesIn: 2000,
  redisBytesOut: 500,
  redisRetainedBytes: 1500,
};

describe('sizeFor', () => {
  it('rounds processes up from the cores at the headroom', () => {
    const sizing = sizeFor(10_000, costs, { headroom: 0.7, retentionSeconds: 600 });
    // 3 cores of gateway at 70 % each: 4.29 -> 5; 10 cores of worker: 14.3 -> 15; 0.5 Redis cores -> 1 master.
    expect(sizing).toMatchObject({ gatewayCores: 3, gateways: 5, workerCores: 10, workers: 15 });
    expect(sizing).toMatchObject({ redisCores: 0.5, redisMasters: 1 });
    expect(sizing.redisMegabytesPerSecondIn).toBe(20);
    expect(sizing.redisMegabytesPerSecondOut).toBe(5);
    // 10k/s × 600 s × 1500 B = 9 GB.
    expect(sizing.redisRetainedGigabytes).toBe(9);
  });

  it('needs at least one of each, however low the rate', () => {
    expect(sizeFor(1, costs)).toMatchObject({ gateways: 1, workers: 1, redisMasters: 1 });
  });
});
