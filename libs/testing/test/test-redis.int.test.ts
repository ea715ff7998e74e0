import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import { Redis } from 'ioredis';
import { describe, expect, inject, it, onTestFinished } from 'vitest';
import { startRedisServer } from '@wxq/redis-server';
import { startPrivateRedis, startTestRedis } from '../src/test-redis.js';

/** A client that reports a down server at once instead of queueing commands. */
function connectClient(url: string): Redis {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => 50 });
  client.on('error', () => undefined); // expected while a server is down; commands still reject
  onTestFinished(() => {
    client.disconnect();
  });
  return client;
}

/** 'connected', or the error code of a plain TCP connection to `url`'s host and port. */
function tryConnect(url: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname.replace(/^\[|\]$/g, ''), port: Number(port) });
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      resolve(error.code ?? error.message);
    });
  });
}

describe("the run's shared Redis", () => {
  it('stores and reads keys under a prefix of its own, then cleans up', async () => {
    const client = connectClient(inject('redisUrl'));
    const prefix = `test-${randomUUID()}:`;
    await client.connect();
    await client.set(`${prefix}greeting`, 'hello', 'EX', 60);
    expect(await client.get(`${prefix}greeting`)).toBe('hello');
    await client.del(`${prefix}greeting`);
    expect(await client.exists(`${prefix}greeting`)).toBe(0);
    await client.quit();
  });
});

describe('startTestRedis', () => {
  it('uses REDIS_URL as given and leaves that server running on stop()', async () => {
    const server = await startRedisServer();
    onTestFinished(() => server.stop());
    const redis = await startTestRedis({ env: { REDIS_URL: server.url } });
    expect(redis).toMatchObject({ source: 'env', url: server.url });
    await redis.stop();
    const client = connectClient(server.url);
    expect(await client.ping()).toBe('PONG');
  });
});

describe('startPrivateRedis', () => {
  it('starts a Redis of its own, apart from the shared one, and stop() takes it down', async () => {
    const redis = await startPrivateRedis({ env: { REDIS_URL: inject('redisUrl') } });
    onTestFinished(() => redis.stop());
    expect(redis.source).not.toBe('env');
    expect(redis.url).not.toBe(inject('redisUrl'));
    const client = connectClient(redis.url);
    expect(await client.ping()).toBe('PONG');
    client.disconnect();

    await redis.stop();
    await redis.stop(); // idempotent
    expect(await tryConnect(redis.url)).toBe('ECONNREFUSED');
  });
});
