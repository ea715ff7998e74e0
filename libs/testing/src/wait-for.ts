import { pollUntil, type Truthy } from '@wxq/redis-server';

export type { Truthy } from '@wxq/redis-server';

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

/** Thrown by {@link waitFor} when the condition never held; `cause` is the last check's error. */
export class WaitForTimeoutError extends Error {
  override name = 'WaitForTimeoutError' as const;
  readonly code = 'wait_timeout';
}

const DEFAULT_TIMEOUT_MS = 5_000;

/**
 * Kept rather than vitest's `vi.waitFor`/`vi.waitUntil`: those either retry on throws or wait for
 * a truthy value, not both; they take no AbortSignal (a process that died ends a wait at once
 * here); and their timeout error says neither what was awaited nor why the last check failed.
 * Calls `check` until it returns (or resolves to) a truthy value and returns that value. A check
 * that throws or rejects counts as "not yet", and its error is kept for the report. Throws
 * {@link WaitForTimeoutError} once `timeoutMs` has passed, even if a check is still pending.
 */
export function waitFor<T>(check: () => T | Promise<T>, options: WaitForOptions): Promise<Truthy<T>> {
  return pollUntil(check, {
    ...options,
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    timeoutError: (message, errorOptions) => new WaitForTimeoutError(message, errorOptions),
  });
}
