/** One line of the doctor's report: ✔ it holds, ⚠ it works but something can go wrong, ✖ it does not work. */
export interface CheckResult {
  readonly status: 'ok' | 'warn' | 'fail';
  /** What was found, in one line. */
  readonly title: string;
  /** What to do about it, in one line (warn and fail). */
  readonly fix?: string;
}

export const ok = (title: string): CheckResult => ({ status: 'ok', title });
export const warn = (title: string, fix: string): CheckResult => ({ status: 'warn', title, fix });
export const fail = (title: string, fix: string): CheckResult => ({ status: 'fail', title, fix });

const MARKS = { ok: '✔', warn: '⚠', fail: '✖' } as const satisfies Record<CheckResult['status'], string>;

/** `✔ title`, or `✖ title — fix: ...`. */
export function formatResult(result: CheckResult): string {
  const line = `${MARKS[result.status]} ${result.title}`;
  return result.fix === undefined ? line : `${line} — fix: ${result.fix}`;
}

/** An error's most telling part for a one-line message: its code (ECONNREFUSED, ...), else its innermost message. */
export function describeError(error: unknown): string {
  let current: unknown = error;
  let message = error instanceof Error ? error.message : String(error);
  // fetch wraps the socket's error (the one with the code) in a TypeError's cause.
  for (let depth = 0; depth < 4 && current instanceof Error; depth += 1) {
    const code = (current as Error & { code?: unknown }).code;
    if (typeof code === 'string' && code !== 'transport' && /^[A-Z_\d]+$/.test(code)) return code;
    message = current.message;
    current = current.cause;
  }
  return message;
}
