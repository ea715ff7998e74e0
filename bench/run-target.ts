import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface RunningTarget {
  readonly port: number;
  readonly pid: number;
  stop(): Promise<void>;
}

/**
 * Starts a bench target in its own process (so the load generator and the server do not share an
 * event loop) and resolves with the port it reports. tsx runs the target file itself; the wxq
 * packages it imports resolve to their built `dist/` (no `@wxq/source` condition), which is what
 * production runs: `npm run bench` builds first.
 */
export function startTarget(file: string, env: Readonly<Record<string, string>>): Promise<RunningTarget> {
  const child = spawn(process.execPath, ['--import', 'tsx', file], {
    cwd: ROOT,
    env: { ...process.env, ...env, NODE_ENV: 'production' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${file} did not report a port within 30 s`));
    }, 30_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${file} exited with ${String(code)} before listening`));
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

function parsePort(line: string): number | undefined {
  if (!line.startsWith('{"listening"')) return undefined;
  const parsed = JSON.parse(line) as { listening?: unknown };
  return typeof parsed.listening === 'number' ? parsed.listening : undefined;
}

/** SIGTERM, then SIGKILL after 10 s; resolves once the process has exited. */
export function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) {
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
