import { setTimeout as sleep } from 'node:timers/promises';

export interface WaitForOptions {
  /** What was awaited, in words; it leads the timeout error. */
  readonly message: string;
  /** Total time allowed, checks included. Default 5000. */
  readonly timeoutMs?: number;
  /** Pause between checks. Default 25. */
  readonly intervalMs?: number;
  /** Stops the wait at once, rejecting with the signal's reason (wrapped if it is not an Error). */
  readonly signal?: AbortSignal;
}

export type Truthy<T> = Exclude<T, false | 0 | 0n | '' | null | undefined>;

/** Thrown by {@link waitFor} when the condition never held; `cause` is the last check's error. */
export class WaitForTimeoutError extends Error {
  override name = 'WaitForTimeoutError' as const;
  readonly code = 'wait_timeout';
}

type Attempt<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: unknown };

const DEFAULT_TIMEOUT_MS = 5_000;
const DEFAULT_INTERVAL_MS = 25;

/**
 * Kept rather than vitest's `vi.waitFor`/`vi.waitUntil`: those either retry on throws or wait for
 * a truthy value, not both; they take no AbortSignal (a process that died ends a wait at once
 * here); and their timeout error says neither what was awaited nor why the last check failed.
 * Calls `check` until it returns (or resolves to) a truthy value and returns that value. A check
 * that throws or rejects counts as "not yet", and its error is kept for the report. Throws
 * {@link WaitForTimeoutError} once `timeoutMs` has passed, even if a check is still pending.
 */
export async function waitFor<T>(check: () => T | Promise<T>, options: WaitForOptions): Promise<Truthy<T>> {
  const { message, timeoutMs = DEFAULT_TIMEOUT_MS, intervalMs = DEFAULT_INTERVAL_MS, signal } = options;
  if (signal?.aborted) throw abortError(signal);
  let lastError: unknown;
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  // Rejects on timeout or abort; every check and pause races it, so a hung check cannot outlive the wait.
  const ended = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      reject(timeoutError(message, timeoutMs, lastError));
    }, timeoutMs);
    if (signal !== undefined) {
      onAbort = () => {
        reject(abortError(signal));
      };
      signal.addEventListener('abort', onAbort, { once: true });
    }
  });
  try {
    for (;;) {
      const attempt = await Promise.race([attemptCheck(check), ended]);
      if (attempt.ok && attempt.value) return attempt.value as Truthy<T>;
      lastError = attempt.ok ? undefined : attempt.error;
      await Promise.race([sleep(intervalMs), ended]);
    }
  } finally {
    clearTimeout(timer);
    if (onAbort !== undefined) signal?.removeEventListener('abort', onAbort);
  }
}

/** Resolves with `promise`'s value, or with `fallback` if it has not settled within `timeoutMs`. */
export async function raceTimeout<T, F>(promise: Promise<T>, timeoutMs: number, fallback: F): Promise<T | F> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<F>((resolve) => {
    timer = setTimeout(resolve, timeoutMs, fallback);
  });
  try {
    return await Promise.race([promise, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

async function attemptCheck<T>(check: () => T | Promise<T>): Promise<Attempt<T>> {
  try {
    return { ok: true, value: await check() };
  } catch (error) {
    return { ok: false, error };
  }
}

function timeoutError(message: string, timeoutMs: number, lastError: unknown): WaitForTimeoutError {
  const detail = lastError === undefined ? 'the condition never held' : `last error: ${errorText(lastError)}`;
  return new WaitForTimeoutError(`${message} (timed out after ${timeoutMs} ms; ${detail})`, { cause: lastError });
}

function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : new Error('waitFor was aborted', { cause: reason });
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
