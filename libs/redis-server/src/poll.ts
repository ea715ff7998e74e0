import { setTimeout as sleep } from 'node:timers/promises';

// Waiting on a condition with a deadline: start-up checks here (this lib also runs in `npm start`
// and the bench, so it cannot lean on test support), and @wxq/testing's waitFor, built on this.

export interface PollOptions {
  /** What was awaited, in words; it leads the timeout error. */
  readonly message: string;
  /** Total time allowed, checks included. */
  readonly timeoutMs: number;
  /** Pause between checks. Default 25. */
  readonly intervalMs?: number;
  /** Stops the wait at once, rejecting with the signal's reason (wrapped if it is not an Error). */
  readonly signal?: AbortSignal;
  /** Builds the timeout error (such as a subclass a caller can test for). Default: a plain Error. */
  readonly timeoutError?: (message: string, options: ErrorOptions) => Error;
}

export type Truthy<T> = Exclude<T, false | 0 | 0n | '' | null | undefined>;

type Attempt<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: unknown };

const DEFAULT_INTERVAL_MS = 25;

/**
 * Calls `check` until it returns (or resolves to) a truthy value and returns that value. A check
 * that throws or rejects counts as "not yet"; the last check's error becomes the timeout error's
 * cause. Rejects once `timeoutMs` has passed, even while a check is pending.
 */
export async function pollUntil<T>(check: () => T | Promise<T>, options: PollOptions): Promise<Truthy<T>> {
  const { message, timeoutMs, intervalMs = DEFAULT_INTERVAL_MS, signal, timeoutError = plainError } = options;
  if (signal?.aborted) throw abortReason(signal);
  let lastError: unknown;
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  // Rejects on timeout or abort; every check and pause races it, so a hung check cannot outlive the wait.
  const ended = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      const detail = lastError === undefined ? 'the condition never held' : `last error: ${errorText(lastError)}`;
      reject(timeoutError(`${message} (timed out after ${timeoutMs} ms; ${detail})`, { cause: lastError }));
    }, timeoutMs);
    if (signal !== undefined) {
      onAbort = () => {
        reject(abortReason(signal));
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

async function attemptCheck<T>(check: () => T | Promise<T>): Promise<Attempt<T>> {
  try {
    return { ok: true, value: await check() };
  } catch (error) {
    return { ok: false, error };
  }
}

function plainError(message: string, options: ErrorOptions): Error {
  return new Error(message, options);
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : new Error('the wait was aborted', { cause: reason });
}
