import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';

// One redis-server process of ours, as redis-server.ts and redis-cluster.ts start them.

export const REDIS_HOST = '127.0.0.1';
export const OUTPUT_TAIL_CHARS = 4_000;

export type RedisChild = ChildProcessByStdio<null, Readable, Readable>;

export interface RedisProcess {
  readonly child: RedisChild;
  /** Resolves once the process has exited and its output is drained; never rejects. */
  readonly closed: Promise<void>;
  hasClosed(): boolean;
  spawnError(): NodeJS.ErrnoException | undefined;
  outputTail(): string;
}

export interface SpawnOptions {
  readonly extraArgs?: readonly string[];
  /** Its own process group: see RedisServerOptions.ownProcessGroup. */
  readonly ownProcessGroup?: boolean;
}

/**
 * Spawns `command` on loopback with the given extra arguments, no RDB or AOF (test data is thrown
 * away, and a restarted server must come back empty and fast), keeping the tail of its output.
 */
export function spawnRedisProcess(
  command: string,
  port: number,
  dir: string,
  options: SpawnOptions = {},
): RedisProcess {
  const args = [
    '--port',
    String(port),
    '--bind',
    REDIS_HOST,
    '--dir',
    dir,
    ...(options.extraArgs ?? []),
    '--save',
    '',
    '--appendonly',
    'no',
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
  return { child, closed, hasClosed: () => hasClosed, spawnError: () => spawnError, outputTail: () => output };
}

/** The tail of a process's output, for error messages. */
export function formatOutput(tail: string): string {
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
