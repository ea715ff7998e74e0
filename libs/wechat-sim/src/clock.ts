/** A clock the simulator reads (`now` option) and a test moves, so 48 h pass without waiting. */
export interface ManualClock {
  /** Milliseconds since the epoch; a plain function, so `{ now: clock.now }` works. */
  readonly now: () => number;
  /** Moves the clock forward. @throws RangeError for a negative or non-finite step */
  advance(ms: number): void;
}

/**
 * A clock that stands still until told to move. Starts at `startMs` (default: the real time now,
 * so messages built with `createMessage`'s default `CreateTime` line up with it).
 * @throws RangeError for a non-finite start
 */
export function createManualClock(startMs: number = Date.now()): ManualClock {
  if (!Number.isFinite(startMs)) throw new RangeError(`a clock starts at a finite time: ${startMs}`);
  let current = startMs;
  return {
    now: () => current,
    advance(ms) {
      // Backwards would reopen expired windows and un-spend daily quota: never what a test means.
      if (!(Number.isFinite(ms) && ms >= 0)) throw new RangeError(`a clock only moves forward by a finite step: ${ms}`);
      current += ms;
    },
  };
}
