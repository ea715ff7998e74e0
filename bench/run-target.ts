import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface RunningTarget {
  readonly port: number;
  readonly pid: number;
  stop(): Promise<void>;
}

/** How a target is started: on which core (see pinning.ts), or wherever the scheduler likes. */
export interface StartOptions {
  readonly core: number | undefined;
}

/**
 * Starts a bench target in its own process (so the load generator and the server do not share an
 * event loop) and resolves with the port it reports. tsx runs the target file itself; the wxq
 * packages it imports resolve to their built `dist/` (no `@wxq/source` condition), which is what
 * production runs: `npm run bench` builds first.
 */
export function startTarget(
  file: string,
  env: Readonly<Record<string, string>>,
  options: StartOptions,
): Promise<RunningTarget> {
  return startCommand(process.execPath, [...profileFlags(), '--import', 'tsx', file], env, options);
}

/**
 * BENCH_CPU_PROF_DIR=DIR: every node target writes a V8 CPU profile there when it exits (open it
 * in Chrome DevTools); node refuses --cpu-prof in NODE_OPTIONS.
 */
function profileFlags(): string[] {
  const dir = process.env['BENCH_CPU_PROF_DIR'];
  return dir === undefined || dir === '' ? [] : ['--cpu-prof', `--cpu-prof-dir=${dir}`];
}

/**
 * Starts any command as a target (a Python server, say): it reports its port as a
 * `{"listening":PORT}` line on stdout, as `targets/report-port.ts` writes it.
 */
export function startCommand(
  command: string,
  args: readonly string[],
  env: Readonly<Record<string, string>>,
  options: StartOptions,
): Promise<RunningTarget> {
  const child = spawnOnCore(options.core, command, args, {
    cwd: ROOT,
    env: { ...process.env, ...env, NODE_ENV: 'production' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const label = args.at(-1) ?? command;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${label} did not report a port within 30 s`));
    }, 30_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${label} exited with ${String(code)} before listening`));
    });
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      const port = parsePort(line);
      if (port === undefined) return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      resolve({ port, pid: child.pid ?? 0, stop: () => stopChild(child) });
    });
  });
}

/**
 * spawn() on `core` when one is given: through `taskset -c`, which execs the command, so the
 * child's pid (and its /proc entry) is the command's own.
 */
export function spawnOnCore(
  core: number | undefined,
  command: string,
  args: readonly string[],
  options: Parameters<typeof spawn>[2],
): ChildProcess {
  const spawned = onCore(core, command, args);
  return spawn(spawned.command, spawned.args, options);
}

/** `command args`, prefixed with `taskset -c <core>` when a core is given. */
export function onCore(
  core: number | undefined,
  command: string,
  args: readonly string[],
): { command: string; args: string[] } {
  if (core === undefined) return { command, args: [...args] };
  return { command: 'taskset', args: ['-c', String(core), command, ...args] };
}

/** Whether `command args` runs and exits 0 (a probe for an optional tool). */
export function canRun(command: string, args: readonly string[]): boolean {
  try {
    execFileSync(command, args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function parsePort(line: string): number | undefined {
  if (!line.startsWith('{"listening"')) return undefined;
  const parsed = JSON.parse(line) as { listening?: unknown };
  return typeof parsed.listening === 'number' ? parsed.listening : undefined;
}

/** SIGTERM, then SIGKILL after 10 s; resolves once the process has exited. */
export function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve();
      return;
    }
    const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
