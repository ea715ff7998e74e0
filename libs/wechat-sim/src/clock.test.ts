import { describe, expect, it } from 'vitest';
import { createManualClock } from './clock.js';

describe('createManualClock', () => {
  it('stands still until advanced, and its now works detached', () => {
    const clock = createManualClock(1_000);
    const { now } = clock;
    expect(now()).toBe(1_000);
    clock.advance(48 * 3600_000);
    expect(now()).toBe(1_000 + 48 * 3600_000);
  });

  it('starts at the real time by default', () => {
    const before = Date.now();
    const at = createManualClock().now();
    expect(at).toBeGreaterThanOrEqual(before);
    expect(at).toBeLessThanOrEqual(Date.now());
  });

  it('only moves forward, by finite steps', () => {
    const clock = createManualClock(0);
    expect(() => {
      clock.advance(-1);
    }).toThrow(RangeError);
    expect(() => {
      clock.advance(Number.NaN);
    }).toThrow(RangeError);
    expect(() => createManualClock(Number.POSITIVE_INFINITY)).toThrow(RangeError);
    expect(clock.now()).toBe(0);
  });
});
