import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AddressInfo, type Socket, connect, createServer } from 'node:net';
import { Redis } from 'ioredis';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import {
  RedisServerError,
  canReadProcessGroups,
  processGroupOf,
  redisServerPid,
  startRedisServer,
  stopOrphanedRedisServer,
} from '../src/index.js';

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

describe('startRedisServer', () => {
  it('runs redis-server on a loopback port with a temp dir that stop() removes', async () => {
    const server = await startRedisServer();
    onTestFinished(() => server.stop());
    expect(server.source).toBe('redis-server');
    expect(server.url).toBe(`redis://127.0.0.1:${server.port}`);
    expect(server.dir).toMatch(/wxq-redis-/);
    expect(existsSync(server.dir)).toBe(true);
    const client = connectClient(server.url);
    expect(await client.ping()).toBe('PONG');
    await client.quit();

    await Promise.all([server.stop(), server.stop()]);
    expect(await tryConnect(server.url)).toBe('ECONNREFUSED');
    expect(existsSync(server.dir)).toBe(false);
    await expect(server.resume()).rejects.toMatchObject({ code: 'stopped' });
  });

  it('pauses and resumes on the same port, and a waiting client gets back in', async () => {
    const server = await startRedisServer();
    onTestFinished(() => server.stop());
    const client = connectClient(server.url);
    await client.connect();
    await client.set('test-pause:key', 'gone after restart');

    await server.pause();
    expect(await tryConnect(server.url)).toBe('ECONNREFUSED');
    expect(existsSync(server.dir)).toBe(true);
    await expect(client.ping()).rejects.toThrow();

    await server.resume();
    expect(await tryConnect(server.url)).toBe('connected');
    // The old client reconnects after resume (vi.waitFor retries while ping() rejects).
    await vi.waitFor(() => client.ping(), { timeout: 5_000 });
    // Persistence is off, so a restarted server is empty.
    expect(await client.get('test-pause:key')).toBeNull();
  });

  it.runIf(canReadProcessGroups)(
    'shares our process group (Ctrl-C reaches it), or has its own when asked',
    async () => {
      const ours = await processGroupOf(process.pid);
      const shared = await startRedisServer();
      onTestFinished(() => shared.stop());
      const own = await startRedisServer({ ownProcessGroup: true });
      onTestFinished(() => own.stop());

      expect(await processGroupOf(await redisServerPid(shared.url))).toBe(ours);
      const ownPid = await redisServerPid(own.url);
      expect(await processGroupOf(ownPid)).toBe(ownPid);

      await own.stop();
      expect(await tryConnect(own.url)).toBe('ECONNREFUSED');
    },
  );

  it('stopOrphanedRedisServer stops only the server whose data dir it is given, and removes the dir', async () => {
    const orphan = await startRedisServer({ ownProcessGroup: true });
    onTestFinished(() => orphan.stop());
    expect(await stopOrphanedRedisServer(orphan.url, orphan.dir)).toBe(true);
    await vi.waitFor(
      async () => {
        expect(await tryConnect(orphan.url), 'the orphan to shut down').toBe('ECONNREFUSED');
      },
      { timeout: 5_000 },
    );
    expect(existsSync(orphan.dir)).toBe(false);
    // Nothing listens any more: nothing to stop, and no error.
    expect(await stopOrphanedRedisServer(orphan.url, orphan.dir)).toBe(false);

    // The port now serves someone else's Redis (its dir differs): left running, the stale dir removed.
    const other = await startRedisServer();
    onTestFinished(() => other.stop());
    const staleDir = await mkdtemp(join(tmpdir(), 'wxq-redis-'));
    expect(await stopOrphanedRedisServer(other.url, staleDir)).toBe(false);
    expect(await tryConnect(other.url)).toBe('connected');
    expect(existsSync(staleDir)).toBe(false);
    await expect(stopOrphanedRedisServer(other.url, '/etc')).rejects.toThrow(/not a data dir of ours/);
  });

  it('stopOrphanedRedisServer gives up on a port that accepts but never answers', async () => {
    const sockets: Socket[] = [];
    const silent = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    onTestFinished(() => {
      for (const socket of sockets) socket.destroy();
      silent.close();
    });
    const staleDir = await mkdtemp(join(tmpdir(), 'wxq-redis-'));
    const { port } = silent.address() as AddressInfo;
    expect(await stopOrphanedRedisServer(`redis://127.0.0.1:${String(port)}`, staleDir)).toBe(false);
    expect(existsSync(staleDir)).toBe(false);
  });

  it('says how to install redis-server when it is not on PATH', async () => {
    const starting = startRedisServer({ command: 'wxq-no-such-redis-server' });
    await expect(starting).rejects.toBeInstanceOf(RedisServerError);
    await expect(starting).rejects.toMatchObject({ code: 'not_installed' });
    await expect(starting).rejects.toThrow(/apt-get install -y redis-server/);
  });

  it("fails to resume while another process holds the port, quoting redis-server's output", async () => {
    const server = await startRedisServer();
    onTestFinished(() => server.stop());
    await server.pause();
    // Hangs up at once, so it answers no PING and its close() is not held open by our probes.
    const squatter = createServer((socket) => {
      socket.destroy();
    });
    await new Promise<void>((resolve) => squatter.listen(server.port, '127.0.0.1', resolve));
    try {
      const resuming = server.resume();
      await expect(resuming).rejects.toMatchObject({ code: 'port_in_use' });
      await expect(resuming).rejects.toThrow(/Address already in use/);
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }
    await server.resume();
    expect(await tryConnect(server.url)).toBe('connected');
  });
});
