import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { Cluster } from 'ioredis';
import { describe, expect, it, onTestFinished } from 'vitest';
import { RedisServerError, startRedisCluster } from '../src/index.js';

/** 'connected', or the error code of a plain TCP connection to 127.0.0.1:`port`. */
function tryConnect(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      resolve(error.code ?? error.message);
    });
  });
}

describe('startRedisCluster', () => {
  it('forms a 3-master cluster that an ioredis Cluster reads and writes across slots; stop() takes it all down', async () => {
    const cluster = await startRedisCluster({ masters: 3 });
    onTestFinished(() => cluster.stop());
    expect(cluster.source).toBe('redis-cluster');
    expect(cluster.nodes).toHaveLength(3);
    expect(new Set(cluster.ports).size).toBe(3);
    expect(cluster.nodes).toEqual(cluster.ports.map((port) => `127.0.0.1:${port}`));
    expect(existsSync(cluster.dir)).toBe(true);

    const client = new Cluster(cluster.nodes.map((node) => ({ host: '127.0.0.1', port: Number(node.split(':')[1]) })));
    onTestFinished(() => {
      client.disconnect();
    });
    // Enough keys without a hash tag that every master gets some (each owns about a third of the slots).
    const prefix = `test-${randomUUID()}`;
    const keys = Array.from({ length: 30 }, (_, i) => `${prefix}:${i}`);
    for (const key of keys) await client.set(key, `value of ${key}`);
    for (const key of keys) expect(await client.get(key)).toBe(`value of ${key}`);
    const slots = await Promise.all(keys.map((key) => client.cluster('KEYSLOT', key)));
    expect(new Set(slots).size).toBeGreaterThan(1);
    const masters = client.nodes('master');
    expect(masters).toHaveLength(3);
    const keysPerMaster = await Promise.all(masters.map((master) => master.dbsize()));
    expect(
      keysPerMaster.every((count) => count > 0),
      `keys per master: ${keysPerMaster.join(', ')}`,
    ).toBe(true);
    expect(keysPerMaster.reduce((sum, count) => sum + count, 0)).toBe(keys.length);
    await client.quit();

    await cluster.stop();
    await cluster.stop(); // idempotent
    expect(await Promise.all(cluster.ports.map(tryConnect))).toEqual(['ECONNREFUSED', 'ECONNREFUSED', 'ECONNREFUSED']);
    expect(existsSync(cluster.dir)).toBe(false);
  });

  it('refuses fewer than 3 masters, which redis-cli cannot make a cluster of', async () => {
    await expect(startRedisCluster({ masters: 2 })).rejects.toThrow(RangeError);
  });

  it('rejects with not_installed when redis-cli is missing', async () => {
    const error: unknown = await startRedisCluster({ cliCommand: 'wxq-no-such-redis-cli' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RedisServerError);
    expect(error).toMatchObject({ code: 'not_installed' });
  });
});
