import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import { pingRedis } from './ping-redis.js';
import { raceTimeout } from '@wxq/redis';
import { pollUntil } from './poll.js';
import { RedisServerError } from './redis-server-error.js';

// One redis-server process of ours, as redis-server.ts and redis-cluster.ts start them.

export const REDIS_HOST = '127.0.0.1';
export const OUTPUT_TAIL_CHARS = 4_000;

export type RedisChild = ChildProcessByStdio<null, Readable, Readable>;

export interface RedisProcess {
  readonly port: number;
  readonly child: RedisChild;
  /** Resolves once the process has exited and its output is drained; never rejects. */
  readonly closed: Promise<void>;
  hasClosed(): boolean;
  spawnError(): NodeJS.ErrnoException | undefined;
  outputTail(): string;
}

/** A certificate for a server that speaks TLS only (`--port 0`, `--tls-port`); clients need no certificate. */
export interface RedisTlsFiles {
  readonly certFile: string;
  readonly keyFile: string;
  /** Redis wants a CA even when it asks clients for no certificate; for a self-signed one, the certificate itself. */
  readonly caFile: string;
  /** The CA's PEM text, which the start-up PING trusts. */
  readonly ca: string;
}

export interface SpawnOptions {
  readonly extraArgs?: readonly string[];
  /** TLS only, on `port`: no plaintext listener. */
  readonly tls?: RedisTlsFiles;
  /** Its own process group: see RedisServerOptions.ownProcessGroup. */
  readonly ownProcessGroup?: boolean;
  /**
   * An append-only file fsynced on every write (`appendfsync always`), so a process killed with
   * SIGKILL and started again on the same dir has every write it acknowledged. Default false.
   */
  readonly appendOnly?: boolean;
}

export interface LaunchOptions extends SpawnOptions {
  /** What the process is, in messages after the command (`redis-server (cluster node) on port …`). */
  readonly role?: string;
  /** How long it gets to answer PING. */
  readonly startTimeoutMs: number;
  /** How long SIGTERM gets before SIGKILL, when it has to be stopped. */
  readonly stopTimeoutMs: number;
}

// Another process can take a free port between findFreePort() and redis-server's bind().
const PORT_ATTEMPTS = 3;

/**
 * Spawns `command` (see {@link spawnRedisProcess}) and resolves once it answers PING. Rejects with
 * RedisServerError, having stopped the process: `not_installed`, `port_in_use` or `exited_early`
 * when it exits first, `not_ready` when it does not answer within `startTimeoutMs`.
 */
export async function launchRedisProcess(
  command: string,
  port: number,
  dir: string,
  options: LaunchOptions,
): Promise<RedisProcess> {
  const redis = spawnRedisProcess(command, port, dir, options);
  const label =
    options.role === undefined ? `${command} on port ${port}` : `${command} (${options.role}) on port ${port}`;
  const exitedEarly = new AbortController();
  void redis.closed.then(() => {
    exitedEarly.abort(earlyExitError(command, label, redis));
  });
  try {
    const tls = options.tls === undefined ? undefined : { ca: options.tls.ca };
    await pollUntil(() => pingRedis(port, REDIS_HOST, undefined, tls), {
      message: `${label} to answer PING`,
      timeoutMs: options.startTimeoutMs,
      signal: exitedEarly.signal,
    });
    return redis;
  } catch (error) {
    await stopRedisProcess(redis, options.stopTimeoutMs);
    if (error instanceof RedisServerError) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    throw new RedisServerError('not_ready', `${reason}\n${formatOutput(redis.outputTail())}`, { cause: error });
  }
}

/** Calls `launch` again, up to three times in all, while it rejects with `port_in_use`. */
export async function retryWhilePortTaken<T>(launch: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await launch();
    } catch (error) {
      const isPortTaken = error instanceof RedisServerError && error.code === 'port_in_use';
      if (!isPortTaken || attempt >= PORT_ATTEMPTS) throw error;
    }
  }
}

/** SIGTERM, then SIGKILL after `stopTimeoutMs`; resolves once the process has exited. */
export async function stopRedisProcess(redis: RedisProcess, stopTimeoutMs: number): Promise<void> {
  if (redis.hasClosed()) return;
  // With no save points configured, SIGTERM shuts Redis down without writing anything.
  redis.child.kill('SIGTERM');
  const hasExited = await raceTimeout(
    redis.closed.then(() => true),
    stopTimeoutMs,
    () => false,
  );
  if (hasExited) return;
  redis.child.kill('SIGKILL');
  await redis.closed;
}

/**
 * Spawns `command` on loopback with the given extra arguments, no RDB or AOF unless `appendOnly`
 * (test data is thrown away, and a restarted server must come back empty and fast), keeping the
 * tail of its output.
 */
function spawnRedisProcess(command: string, port: number, dir: string, options: SpawnOptions = {}): RedisProcess {
  const { tls } = options;
  const args = [
    ...(tls === undefined
      ? ['--port', String(port)]
      : [
          '--port',
          '0',
          '--tls-port',
          String(port),
          '--tls-cert-file',
          tls.certFile,
          '--tls-key-file',
          tls.keyFile,
          '--tls-ca-cert-file',
          tls.caFile,
          '--tls-auth-clients',
          'no',
        ]),
    '--bind',
    REDIS_HOST,
    '--dir',
    dir,
    ...(options.extraArgs ?? []),
    '--save',
    '',
    ...(options.appendOnly === true ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no']),
    '--daemonize',
    'no',
  ];
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: options.ownProcessGroup === true });
  let output = '';
  let spawnError: NodeJS.ErrnoException | undefined;
  let hasClosed = false;
  const keepTail = (chunk: Buffer): void => {
    output = (output + chunk.toString('utf8')).slice(-OUTPUT_TAIL_CHARS);
  };
  child.stdout.on('data', keepTail);
  child.stderr.on('data', keepTail);
  child.once('error', (error) => {
    spawnError = error;
  });
  // 'close' also follows a failed spawn (ENOENT), so it is the one event that always ends a process.
  const closed = new Promise<void>((resolve) => {
    child.once('close', () => {
      hasClosed = true;
      liveChildren.delete(child);
      resolve();
    });
  });
  track(child);
  return { port, child, closed, hasClosed: () => hasClosed, spawnError: () => spawnError, outputTail: () => output };
}

function earlyExitError(command: string, label: string, redis: RedisProcess): RedisServerError {
  const spawnError = redis.spawnError();
  if (spawnError?.code === 'ENOENT') {
    return new RedisServerError(
      'not_installed',
      `${command} is not on PATH. Install it (Debian/Ubuntu: apt-get install -y redis-server; macOS: brew install redis).`,
      { cause: spawnError },
    );
  }
  if (spawnError !== undefined) {
    return new RedisServerError('exited_early', `could not start ${command}: ${spawnError.message}`, {
      cause: spawnError,
    });
  }
  // Redis's own wording for a failed bind (the client port, or a cluster node's bus port); the only
  // signal we get that a port was taken.
  const code = redis.outputTail().includes('Address already in use') ? 'port_in_use' : 'exited_early';
  const status = `exit code ${String(redis.child.exitCode)}, signal ${String(redis.child.signalCode)}`;
  return new RedisServerError(
    code,
    `${label} exited before answering PING (${status})\n${formatOutput(redis.outputTail())}`,
  );
}

/** The tail of a process's output, for error messages. */
function formatOutput(tail: string): string {
  const trimmed = tail.trimEnd();
  return trimmed === '' ? '(redis-server printed nothing)' : `--- last output of redis-server ---\n${trimmed}`;
}

// A run can end without teardown (a crashed worker, process.exit): kill our servers rather than
// leave them running. Ctrl-C reaches them anyway unless they have their own process group.
const liveChildren = new Set<RedisChild>();
let isExitHookInstalled = false;

function track(child: RedisChild): void {
  liveChildren.add(child);
  if (isExitHookInstalled) return;
  isExitHookInstalled = true;
  process.once('exit', () => {
    for (const live of liveChildren) live.kill('SIGKILL');
  });
}
