import { setTimeout as sleep } from 'node:timers/promises';

// Start-up checks with a deadline. @wxq/testing's waitFor does this for tests; this lib also runs
// in `npm start` and the bench, so it keeps a small copy of its own instead of depending on
// test support.

export interface PollOptions {
  /** What was awaited, in words; it leads the timeout error. */
  readonly message: string;
  readonly timeoutMs: number;
  /** Pause between checks. Default 25. */
  readonly intervalMs?: number;
  /** Stops the wait at once, rejecting with the signal's reason. */
  readonly signal?: AbortSignal;
}

/**
 * Calls `check` until it resolves to true. A rejecting check counts as "not yet"; its error becomes
 * the timeout error's cause. Rejects once `timeoutMs` has passed, even while a check is pending.
 */
export async function pollUntil(check: () => Promise<boolean>, options: PollOptions): Promise<void> {
  const { message, timeoutMs, intervalMs = 25, signal } = options;
  if (signal?.aborted) throw abortReason(signal);
  let lastError: unknown;
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const ended = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      const detail = lastError === undefined ? 'the condition never held' : `last error: ${errorText(lastError)}`;
      reject(new Error(`${message} (timed out after ${timeoutMs} ms; ${detail})`, { cause: lastError }));
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
      const held = await Promise.race([
        check().then(
          (value) => value,
          (error: unknown) => {
            lastError = error;
            return false;
          },
        ),
        ended,
      ]);
      if (held) return;
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

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : new Error('the wait was aborted', { cause: reason });
}
