import { mkdtemp, realpath, rm } from 'node:fs/promises';
import { Redis } from 'ioredis';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { findFreePort } from './free-port.js';
import {
  REDIS_HOST as HOST,
  type RedisProcess,
  type RedisTlsFiles,
  launchRedisProcess,
  retryWhilePortTaken,
  stopRedisProcess,
} from './redis-process.js';
import { RedisServerError } from './redis-server-error.js';

export interface RedisServerOptions {
  /** The executable, looked up on PATH. Default `redis-server`. */
  readonly command?: string;
  /** How long a fresh process gets to answer PING. Default 10000. */
  readonly startTimeoutMs?: number;
  /** How long SIGTERM gets before SIGKILL. Default 5000. */
  readonly stopTimeoutMs?: number;
  /**
   * Run it in its own process group. A Ctrl-C (SIGINT to the terminal's process group) then does
   * not stop Redis before the caller's own shutdown has drained its jobs; the caller stops it with
   * stop(), or it is killed when the caller exits. Default false: tests want Ctrl-C to reach it.
   */
  readonly ownProcessGroup?: boolean;
  /** Speak TLS only, with this certificate: `url` is then `rediss://`. Default: plaintext. */
  readonly tls?: RedisTlsFiles;
}

/** A redis-server process of our own on a loopback port, with a fresh temp dir and no persistence. */
export interface RedisServer {
  readonly source: 'redis-server';
  readonly url: string;
  readonly port: number;
  /** Its `--dir`; stop() removes it. */
  readonly dir: string;
  /** Stops the process and removes its dir. Idempotent. */
  stop(): Promise<void>;
  /** Stops the process but keeps its port and dir, for "Redis went down" tests. Data is lost. */
  pause(): Promise<void>;
  /** Starts it again on the same port and waits for PING. Rejects after stop(). */
  resume(): Promise<void>;
}

interface Settings {
  readonly command: string;
  readonly startTimeoutMs: number;
  readonly stopTimeoutMs: number;
  readonly ownProcessGroup: boolean;
  readonly tls?: RedisTlsFiles;
}

const DIR_PREFIX = 'wxq-redis-';

/**
 * Starts `redis-server` from PATH on a free loopback port with a temp `--dir` and persistence off,
 * and resolves once it answers PING. Rejects with {@link RedisServerError} (`not_installed` when
 * the executable is missing) and leaves no process or directory behind.
 */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  const settings: Settings = {
    command: options.command ?? 'redis-server',
    startTimeoutMs: options.startTimeoutMs ?? 10_000,
    stopTimeoutMs: options.stopTimeoutMs ?? 5_000,
    ownProcessGroup: options.ownProcessGroup ?? false,
    ...(options.tls === undefined ? {} : { tls: options.tls }),
  };
  const dir = await mkdtemp(join(tmpdir(), DIR_PREFIX));
  try {
    const redis = await retryWhilePortTaken(async () => launch(settings, await findFreePort(HOST), dir));
    return createHandle(settings, dir, redis);
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

function createHandle(settings: Settings, dir: string, first: RedisProcess): RedisServer {
  const { port } = first;
  let current: RedisProcess | undefined = first;
  let isStopped = false;
  let stopping: Promise<void> | undefined;
  let queue: Promise<unknown> = Promise.resolve();

  // One operation at a time, so a resume cannot race a stop and leave a process running.
  const serialize = (operation: () => Promise<void>): Promise<void> => {
    const result = queue.then(operation);
    queue = result.catch(() => undefined);
    return result;
  };
  const halt = async (): Promise<void> => {
    const redis = current;
    current = undefined;
    if (redis !== undefined) await stopRedisProcess(redis, settings.stopTimeoutMs);
  };
  const assertNotStopped = (action: string): void => {
    if (isStopped)
      throw new RedisServerError('stopped', `cannot ${action} redis-server on port ${port}: stop() was called`);
  };

  return {
    source: 'redis-server',
    url: `${settings.tls === undefined ? 'redis' : 'rediss'}://${HOST}:${port}`,
    port,
    dir,
    pause: () =>
      serialize(async () => {
        assertNotStopped('pause');
        await halt();
      }),
    resume: () =>
      serialize(async () => {
        assertNotStopped('resume');
        current ??= await launch(settings, port, dir);
      }),
    stop: () => {
      isStopped = true;
      stopping ??= serialize(async () => {
        await halt();
        await rm(dir, { recursive: true, force: true });
      });
      return stopping;
    },
  };
}

/**
 * Stops a redis-server that an earlier process of ours started and could not stop (it was killed),
 * and removes its temp dir. Only a server that reports `dir` as its data dir is stopped, so a port
 * since taken by someone else's Redis is left alone. Resolves to whether it stopped a server.
 */
export async function stopOrphanedRedisServer(url: string, dir: string): Promise<boolean> {
  if (!basename(dir).startsWith(DIR_PREFIX)) throw new Error(`not a data dir of ours: ${dir}`);
  // Bounded: whatever listens on that port now may accept and never answer.
  const client = new Redis(url, {
    lazyConnect: true,
    enableReadyCheck: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 1_000,
    commandTimeout: 1_000,
  });
  client.on('error', () => undefined); // a refused connection is the usual answer: nothing to stop
  let stopped = false;
  try {
    await client.connect();
    const [, serverDir] = (await client.config('GET', 'dir')) as [string, string];
    // Redis reports its working directory with symlinks resolved (macOS: /var -> /private/var).
    if (serverDir === (await realpath(dir).catch(() => dir))) {
      // The server hangs up instead of answering; that is the success case.
      await client.call('SHUTDOWN', 'NOSAVE').catch(() => undefined);
      stopped = true;
    }
  } catch {
    // Gone already, or not a Redis: nothing of ours runs there.
  } finally {
    client.disconnect();
  }
  await rm(dir, { recursive: true, force: true });
  return stopped;
}

function launch(settings: Settings, port: number, dir: string): Promise<RedisProcess> {
  return launchRedisProcess(settings.command, port, dir, settings);
}
