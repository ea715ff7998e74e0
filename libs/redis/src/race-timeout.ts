const TIMED_OUT: unique symbol = Symbol('timed out');

/**
 * What `work` settles to if it settles within `timeoutMs`, else what `onTimeout` returns (or
 * throws). The timer is cleared either way; `work` itself is left running.
 */
export async function raceTimeout<T, F>(work: Promise<T>, timeoutMs: number, onTimeout: () => F): Promise<T | F> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(resolve, timeoutMs, TIMED_OUT);
  });
  try {
    const result = await Promise.race([work, timedOut]);
    return result === TIMED_OUT ? onTimeout() : result;
  } finally {
    clearTimeout(timer);
  }
}
