// The gateway as a real child process (main.ts through tsx, as `npm run gateway` runs it), for
// signal tests.
import { type ChildProcessByStdio, spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { waitFor } from '@wxq/testing';
import { onTestFinished } from 'vitest';
import type { LogRecord as LogLine } from '@wxq/testing';

const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
/** tsx compiles main.ts and the libs on first start; a cold 2-core machine needs a few seconds. */
const START_TIMEOUT_MS = 15_000;

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface GatewayProcess {
  readonly port: number;
  readonly pid: number;
  /** Parsed stdout lines so far (pino JSON). */
  lines(): LogLine[];
  /** Everything written to stderr so far. */
  stderr(): string;
  /** Resolves with the line once one matches. */
  waitForLine(predicate: (line: LogLine) => boolean, message: string, timeoutMs?: number): Promise<LogLine>;
  /** Resolves when the process has exited. */
  readonly exited: Promise<Exit>;
  signal(signal: NodeJS.Signals): void;
}

/**
 * Starts `node --conditions=@wxq/source --import tsx apps/gateway/src/main.ts` with exactly `env`
 * (PORT=0 works: the port is read from the "gateway listening" line). Killed with SIGKILL when the
 * test finishes if it is still running.
 */
export async function startGatewayProcess(env: Readonly<Record<string, string | undefined>>): Promise<GatewayProcess> {
  const child: ChildProcessByStdio<null, Readable, Readable> = spawn(
    process.execPath,
    ['--conditions=@wxq/source', '--import', 'tsx', 'apps/gateway/src/main.ts'],
    { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  let hasExited = false;
  const exited = new Promise<Exit>((resolve) => {
    child.once('exit', (code, signal) => {
      hasExited = true;
      resolve({ code, signal });
    });
  });
  onTestFinished(async () => {
    if (hasExited) return;
    child.kill('SIGKILL');
    await exited;
  });

  const lines = (): LogLine[] =>
    stdout
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as LogLine);
  const died = new AbortController();
  void exited.then((exit) => {
    died.abort(new Error(`the gateway exited (${JSON.stringify(exit)}); stderr:\n${stderr}\nstdout:\n${stdout}`));
  });
  const waitForLine = (predicate: (line: LogLine) => boolean, message: string, timeoutMs = 5_000) =>
    waitFor(() => lines().find(predicate), { message, timeoutMs });

  const listening = await waitFor(() => lines().find((line) => line['msg'] === 'gateway listening'), {
    message: `the gateway process to log "gateway listening" (stderr so far: ${stderr})`,
    timeoutMs: START_TIMEOUT_MS,
    signal: died.signal,
  });
  const pid = child.pid;
  if (typeof listening['port'] !== 'number' || pid === undefined) throw new Error('no port in the "gateway listening" line');
  return {
    port: listening['port'],
    pid,
    lines,
    stderr: () => stderr,
    waitForLine,
    exited,
    signal: (signal) => {
      child.kill(signal);
    },
  };
}
