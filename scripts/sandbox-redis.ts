import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isProcessRunning } from './process-alive.js';
import {
  RedisServerError,
  isDockerAvailable,
  startRedisContainer,
  startRedisServer,
  stopOrphanedRedisServer,
} from '@wxq/redis-server';

export interface SandboxRedis {
  readonly url: string;
  readonly source: string;
  /** The temp data dir of a redis-server (removed by stop()). */
  readonly dir?: string;
  stop(): Promise<void>;
}

export const NO_REDIS_HELP = [
  'wxq needs Redis and found none:',
  '  - install redis-server (Debian/Ubuntu: sudo apt-get install -y redis-server; macOS: brew install redis), or',
  '  - start a Docker engine (a redis:7-alpine container is used), or',
  '  - point REDIS_URL at a Redis you run.',
].join('\n');

/**
 * A private Redis for the sandbox: redis-server from PATH on a free port with a temp dir, else a
 * container when a Docker engine answers. Undefined when neither is there.
 */
export async function startSandboxRedis(env: NodeJS.ProcessEnv, stateDir: string): Promise<SandboxRedis | undefined> {
  try {
    // Its own process group: Ctrl-C must not stop Redis while the worker is still draining jobs
    // into it; the sandbox stops it last. A lease file lets the next start clean up after a
    // sandbox that was killed (SIGKILL) before it could.
    const server = await startRedisServer({ ownProcessGroup: true });
    const lease: RedisLease = { sandboxPid: process.pid, url: server.url, dir: server.dir };
    await mkdir(stateDir, { recursive: true });
    await writeFile(leasePath(stateDir), `${JSON.stringify(lease)}\n`);
    const stop = async (): Promise<void> => {
      await server.stop();
      await rm(leasePath(stateDir), { force: true });
    };
    return { url: server.url, source: `redis-server on port ${server.port}`, dir: server.dir, stop };
  } catch (error) {
    if (!(error instanceof RedisServerError) || error.code !== 'not_installed') throw error;
  }
  if (await isDockerAvailable(env, 3_000)) {
    // Testcontainers' reaper removes the container if we are killed.
    const container = await startRedisContainer();
    return { url: container.url, source: 'a redis:7-alpine container', stop: () => container.stop() };
  }
  return undefined;
}

interface RedisLease {
  readonly sandboxPid: number;
  readonly url: string;
  readonly dir: string;
}

const leasePath = (stateDir: string): string => join(stateDir, 'redis.json');

/**
 * Stops the redis-server of an earlier sandbox that was killed before it could stop it. Resolves
 * to a line for the user when it did; leaves a Redis whose sandbox still runs alone.
 */
export async function stopRedisOfKilledSandbox(stateDir: string): Promise<string | undefined> {
  let lease: Partial<RedisLease>;
  try {
    lease = JSON.parse(await readFile(leasePath(stateDir), 'utf8')) as Partial<RedisLease>;
  } catch {
    return undefined; // no lease (the usual case) or an unreadable one: nothing we can act on
  }
  const { sandboxPid, url, dir } = lease;
  if (typeof sandboxPid === 'number' && isProcessRunning(sandboxPid)) return undefined;
  const stopped = typeof url === 'string' && typeof dir === 'string' && (await stopOrphanedRedisServer(url, dir));
  await rm(leasePath(stateDir), { force: true });
  return stopped ? `stopped the redis-server at ${url} left running by a killed sandbox` : undefined;
}
