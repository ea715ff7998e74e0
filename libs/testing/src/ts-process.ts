import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import type { Readable } from 'node:stream';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { raceTimeout } from '@wxq/redis';
import { type LogRecord, parseJsonLines } from './log-sink.js';
import { type WaitForOptions, waitFor } from './wait-for.js';

/** The repository root: where `npm run gateway` and friends run, and where relative entries resolve. */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** tsx's loader, by its location: `--import tsx` would look for it from the child's working directory. */
const TSX_LOADER = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

export interface TsProcessOptions {
  /**
   * The child's whole environment. Nothing is inherited, so a test states what the process sees
   * (spread `process.env` to inherit; PATH is needed by anything that spawns commands).
   */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Arguments after the entry file. */
  readonly args?: readonly string[];
  /** Working directory, against which a relative `entry` resolves too. Default {@link REPO_ROOT}. */
  readonly cwd?: string;
  /**
   * Start it in a process group of its own and send every signal to that group, as a terminal's
   * Ctrl-C reaches a process and its children. Default false.
   */
  readonly ownProcessGroup?: boolean;
  /** Also copy the child's stderr to ours as it arrives, for long-running targets. Default false. */
  readonly echoStderr?: boolean;
}

export interface ProcessExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface StopOptions {
  /** Sent first. Default SIGTERM. */
  readonly signal?: NodeJS.Signals;
  /** How long the process gets to exit before SIGKILL. Default 10000. */
  readonly timeoutMs?: number;
}

/** A running `.ts` entry point; see {@link startTsProcess}. */
export interface TsProcess {
  readonly pid: number;
  /** Resolves once the process has exited and its output has been read to the end; never rejects. */
  readonly exited: Promise<ProcessExit>;
  hasExited(): boolean;
  /** Complete stdout lines so far. */
  stdoutLines(): readonly string[];
  /** Complete stderr lines so far. */
  stderrLines(): readonly string[];
  /** The stdout lines that are JSON objects (pino's log lines), parsed. */
  logLines(): LogRecord[];
  /** Everything written to stdout and stderr so far, for error messages. */
  output(): string;
  /**
   * Resolves with the first stdout line that matches. Rejects at once, quoting the output, if the
   * process exits first; throws WaitForTimeoutError after `options.timeoutMs`.
   */
  waitForLine(predicate: (line: string) => boolean, options: WaitForOptions): Promise<string>;
  /** Like {@link TsProcess.waitForLine}, over {@link TsProcess.logLines}. */
  waitForLogLine(predicate: (line: LogRecord) => boolean, options: WaitForOptions): Promise<LogRecord>;
  /** Sends `signal` (to the process group with `ownProcessGroup`); does nothing once it has exited. */
  signal(signal: NodeJS.Signals): void;
  /** Sends `options.signal`, waits up to `options.timeoutMs`, then SIGKILL; resolves with the exit. */
  stop(options?: StopOptions): Promise<ProcessExit>;
}

type Child = ChildProcessByStdio<null, Readable, Readable>;

const DEFAULT_STOP_TIMEOUT_MS = 10_000;

/**
 * Starts `node --conditions=@wxq/source --import tsx <entry>` (as `npm run gateway`, `npm run
 * worker` and `npm start` run their entry points), capturing stdout and stderr line by line.
 * Returns at once: wait for readiness with {@link TsProcess.waitForLine} or `waitForLogLine`, and
 * stop it in an after-hook. A child still running when this process exits is killed with SIGKILL.
 */
export function startTsProcess(entry: string, options: TsProcessOptions): TsProcess {
  const ownGroup = options.ownProcessGroup === true;
  const child: Child = spawn(
    process.execPath,
    ['--conditions=@wxq/source', '--import', TSX_LOADER, entry, ...(options.args ?? [])],
    {
      cwd: options.cwd ?? REPO_ROOT,
      env: options.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: ownGroup,
    },
  );
  const stdout = collectLines(child.stdout);
  const stderr = collectLines(
    child.stderr,
    options.echoStderr === true ? (chunk) => process.stderr.write(chunk) : undefined,
  );
  let exit: ProcessExit | undefined;
  let spawnError: Error | undefined;
  child.once('error', (error) => {
    spawnError = error;
  });
  // 'close' comes after 'exit' once stdout and stderr are drained, so no line is missed.
  const exited = new Promise<ProcessExit>((resolve) => {
    child.once('close', (code, signal) => {
      exit = { code, signal };
      liveChildren.delete(child);
      resolve(exit);
    });
  });
  track(child, ownGroup);

  const output = (): string => `--- stdout ---\n${stdout.text()}\n--- stderr ---\n${stderr.text()}`;
  const died = new AbortController();
  void exited.then((result) => {
    const cause = spawnError === undefined ? '' : ` (${spawnError.message})`;
    died.abort(
      new Error(`${entry} exited (code ${String(result.code)}, signal ${String(result.signal)})${cause}\n${output()}`),
    );
  });
  const waitForMatch = async <T>(
    items: () => readonly T[],
    predicate: (item: T) => boolean,
    waitOptions: WaitForOptions,
  ): Promise<T> => {
    const signal = waitOptions.signal === undefined ? died.signal : AbortSignal.any([died.signal, waitOptions.signal]);
    const found = await waitFor(
      () => {
        const match = items().find(predicate);
        return match === undefined ? undefined : { match };
      },
      { ...waitOptions, signal },
    );
    return found.match;
  };
  const logLines = (): LogRecord[] => parseJsonLines(stdout.text());
  const sendSignal = (signal: NodeJS.Signals): void => {
    if (exit !== undefined || child.pid === undefined) return;
    try {
      if (ownGroup) process.kill(-child.pid, signal);
      else child.kill(signal);
    } catch (error) {
      // ESRCH: it exited between the check and the kill.
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
    }
  };
  let stopping: Promise<ProcessExit> | undefined;
  const stop = (stopOptions: StopOptions = {}): Promise<ProcessExit> => {
    stopping ??= (async () => {
      sendSignal(stopOptions.signal ?? 'SIGTERM');
      const result = await raceTimeout(exited, stopOptions.timeoutMs ?? DEFAULT_STOP_TIMEOUT_MS, () => undefined);
      if (result !== undefined) return result;
      sendSignal('SIGKILL');
      return exited;
    })();
    return stopping;
  };

  return {
    pid: child.pid ?? -1,
    exited,
    hasExited: () => exit !== undefined,
    stdoutLines: () => stdout.lines,
    stderrLines: () => stderr.lines,
    logLines,
    output,
    waitForLine: (predicate, waitOptions) => waitForMatch(() => stdout.lines, predicate, waitOptions),
    waitForLogLine: (predicate, waitOptions) => waitForMatch(logLines, predicate, waitOptions),
    signal: sendSignal,
    stop,
  };
}

interface LineCollector {
  readonly lines: string[];
  text(): string;
}

function collectLines(stream: Readable, echo?: (chunk: string) => void): LineCollector {
  const lines: string[] = [];
  let all = '';
  let partial = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    echo?.(chunk);
    all += chunk;
    const parts = (partial + chunk).split('\n');
    partial = parts.pop() ?? '';
    lines.push(...parts);
  });
  stream.once('end', () => {
    if (partial !== '') lines.push(partial);
    partial = '';
  });
  return { lines, text: () => all };
}

// A test run can end without its after-hooks (a crash, process.exit): kill our children rather
// than leave them running, holding ports and Redis connections.
const liveChildren = new Map<Child, boolean>();
let isExitHookInstalled = false;

function track(child: Child, ownGroup: boolean): void {
  liveChildren.set(child, ownGroup);
  if (isExitHookInstalled) return;
  isExitHookInstalled = true;
  process.once('exit', () => {
    for (const [live, group] of liveChildren) {
      try {
        if (group && live.pid !== undefined) process.kill(-live.pid, 'SIGKILL');
        else live.kill('SIGKILL');
      } catch {
        // Gone already.
      }
    }
  });
}
