import { describe, expect, it } from 'vitest';
import { CLUSTER_SLOTS, crc16, keySlot } from './slots.js';
import { createQueueShards, shardIndexOf, shardPrefixOf } from './shards.js';

describe('keySlot', () => {
  it('is the CRC16 of the Redis Cluster specification', () => {
    // The specification's check value, and CLUSTER KEYSLOT examples from its documentation.
    expect(crc16(Buffer.from('123456789'))).toBe(0x31c3);
    expect(keySlot('somekey')).toBe(11058);
    expect(keySlot('foo{hash_tag}')).toBe(keySlot('hash_tag'));
    expect(keySlot('foo{hash_tag}')).toBe(2515);
    // The ASCII fast path agrees with the byte one.
    for (const tag of ['wxq', 'wxq~s1~45', 'test-0d4c']) {
      expect(keySlot(`{${tag}}:inbound`)).toBe(crc16(Buffer.from(tag)) % CLUSTER_SLOTS);
    }
    // An empty tag is no tag: the whole key is hashed.
    expect(keySlot('foo{}{bar}')).toBe(crc16(Buffer.from('foo{}{bar}')) % CLUSTER_SLOTS);
  });
});

describe('createQueueShards', () => {
  it('keeps the prefix for shard 0, so one shard is the unsharded layout', () => {
    const [only] = createQueueShards('{wxq}', 1).all;
    expect(only?.prefix).toBe('{wxq}');
    expect(only?.keys.lane('inbound', 'wx1', 'o1')).toBe('{wxq}:lane:inbound:wx1:o1');
    expect(createQueueShards('{wxq}', 8).all[0]?.prefix).toBe('{wxq}');
  });

  it('spreads the shards evenly over the slot range, relative to shard 0', () => {
    for (const count of [2, 3, 6, 16, 64]) {
      const { all } = createQueueShards('{wxq}', count);
      const base = all[0]?.slot ?? 0;
      for (const shard of all) {
        const even = Math.round((shard.index * CLUSTER_SLOTS) / count);
        const offset = (shard.slot - base - even + CLUSTER_SLOTS) % CLUSTER_SLOTS;
        expect(offset, `shard ${shard.index} of ${count}`).toBeLessThan(16);
        expect(keySlot(shard.keys.lane('outbound', 'wx1', 'o1'))).toBe(shard.slot);
      }
      expect(new Set(all.map((s) => s.slot)).size).toBe(count);
    }
  });

  it('derives the same prefixes on every process: they name the jobs in Redis', () => {
    const prefixes = createQueueShards('{wxq}', 4).all.map((s) => s.prefix);
    expect(createQueueShards('{wxq}', 4).all.map((s) => s.prefix)).toEqual(prefixes);
    for (const prefix of prefixes.slice(1)) expect(prefix).toMatch(/^\{wxq~s\d+~\d+\}$/);
    expect(shardPrefixOf('{wxq}', 1, 4)).toBe(prefixes[1]);
  });

  it('keeps an account key under the deployment prefix and a user key under the shard', () => {
    const shard = createQueueShards('{wxq}', 3).all[2];
    expect(shard?.keys.sendPause('wx1')).toBe('{wxq}:pause:wx1');
    expect(shard?.keys.accessToken('wx1')).toBe('{wxq}:{wx1}:access_token');
    expect(shard?.keys.passiveChannel).toBe('{wxq}:passive');
    expect(shard?.keys.quota('wx1', 'o1')).toBe(`${shard?.prefix ?? ''}:quota:wx1:o1`);
    expect(shard?.keys.passive('in-1')).toBe(`${shard?.prefix ?? ''}:passive:in-1`);
  });

  it('rejects a count outside 1..64', () => {
    for (const count of [0, 65, 1.5, Number.NaN]) expect(() => createQueueShards('{wxq}', count)).toThrow(RangeError);
  });
});

describe('shardIndexOf', () => {
  const users = Array.from({ length: 6000 }, (_, i) => `o${i}`);

  it('maps a user to one shard, and users about evenly', () => {
    const counts = [0, 0, 0];
    for (const user of users) {
      const index = shardIndexOf('wx1', user, 3);
      expect(shardIndexOf('wx1', user, 3)).toBe(index);
      counts[index] = (counts[index] ?? 0) + 1;
    }
    for (const count of counts) expect(Math.abs(count - 2000)).toBeLessThan(200);
  });

  it('moves only the users of the new shard when a shard is added', () => {
    let moved = 0;
    for (const user of users) {
      const before = shardIndexOf('wx1', user, 3);
      const after = shardIndexOf('wx1', user, 4);
      if (after !== before) {
        expect(after).toBe(3);
        moved += 1;
      }
    }
    expect(Math.abs(moved / users.length - 1 / 4)).toBeLessThan(0.03);
  });
});
