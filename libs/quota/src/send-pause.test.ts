import { describe, expect, it } from 'vitest';
import { nextBeijingMidnight } from './send-pause.js';

describe('nextBeijingMidnight', () => {
  it('is the next 16:00 UTC: midnight in Beijing (UTC+8, no daylight saving)', () => {
    expect(new Date(nextBeijingMidnight(Date.parse('2026-12-01T10:00:00Z'))).toISOString()).toBe(
      '2026-12-01T16:00:00.000Z',
    );
    expect(new Date(nextBeijingMidnight(Date.parse('2026-12-01T16:00:00Z'))).toISOString()).toBe(
      '2026-12-02T16:00:00.000Z',
    );
    expect(new Date(nextBeijingMidnight(Date.parse('2026-12-01T15:59:59.999Z'))).toISOString()).toBe(
      '2026-12-01T16:00:00.000Z',
    );
    // 23:30 in Beijing is 15:30 UTC; 00:30 in Beijing on the 2nd is 16:30 UTC on the 1st.
    expect(new Date(nextBeijingMidnight(Date.parse('2026-12-01T16:30:00Z'))).toISOString()).toBe(
      '2026-12-02T16:00:00.000Z',
    );
  });
});
