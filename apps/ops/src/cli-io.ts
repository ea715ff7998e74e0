import type { Readable, Writable } from 'node:stream';

/** The process edges a command touches; `main.ts` passes the real ones, tests their own. */
export interface CliIo {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stdout: Writable;
  readonly stderr: Writable;
  readonly stdin: Readable;
  /** Whether a person can answer a prompt (stdin is a terminal). */
  readonly stdinIsTTY: boolean;
  /** Whether progress can be drawn (stderr is a terminal). */
  readonly stderrIsTTY: boolean;
  /** Whether a person watches the output (stdout is a terminal): `campaign ID` then follows a running one. */
  readonly stdoutIsTTY?: boolean;
}

/**
 * The real process's edges, for the entry points (`main.ts`, `doctor-main.ts`). A reader that stops
 * early (`| head`) closes the pipe: that ends the command, quietly.
 */
export function processCliIo(proc: NodeJS.Process): CliIo {
  proc.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') proc.exit(0);
    throw err;
  });
  return {
    env: proc.env,
    stdout: proc.stdout,
    stderr: proc.stderr,
    stdin: proc.stdin,
    stdinIsTTY: proc.stdin.isTTY,
    stderrIsTTY: proc.stderr.isTTY,
    stdoutIsTTY: proc.stdout.isTTY,
  };
}

/** Whether process `pid` runs (EPERM: it does, as someone else's); for the entry points. */
export function isProcessRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * What `npm run ops` exits with; documented in docs/deploy.md, so scripts may branch on them.
 * `doctor` uses 0 and 1 only.
 */
export const EXIT = {
  /** Everything asked was done. */
  ok: 0,
  /** Something was not done: a job not retried, Redis unreachable, a doctor check failed. */
  failed: 1,
  /** The command line is wrong: unknown command or option, a malformed value. Nothing was done. */
  usage: 2,
  /** The environment is not a valid worker configuration. Nothing was done. */
  config: 3,
  /** A destructive command was not confirmed. Nothing was done. */
  declined: 4,
} as const;

/** A wrong command line, said in one line; exits 2. */
export class UsageError extends Error {
  override name = 'UsageError' as const;
}

/** A command that could not do its job (Redis unreachable, ...), said in one line; exits 1. */
export class OpsError extends Error {
  override name = 'OpsError' as const;
}

export function writeLine(stream: Writable, line = ''): void {
  stream.write(`${line}\n`);
}

/** JSON for scripts: one document, two-space indented, newline-terminated. */
export function writeJson(stream: Writable, value: unknown): void {
  stream.write(`${JSON.stringify(value, null, 2)}\n`);
}
