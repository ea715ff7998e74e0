import { describe, expect, it } from 'vitest';
import { UsageError } from './cli-io.js';
import { parseDuration, printable } from './duration.js';

describe('parseDuration', () => {
  it('reads seconds, minutes, hours, days and weeks', () => {
    expect(parseDuration('30s', '--since')).toBe(30_000);
    expect(parseDuration('15m', '--since')).toBe(900_000);
    expect(parseDuration('1h', '--since')).toBe(3_600_000);
    expect(parseDuration('2d', '--since')).toBe(172_800_000);
    expect(parseDuration('1w', '--since')).toBe(604_800_000);
  });

  it.each(['', '1', 'h', '1.5h', '-1h', '1 h x', '1y', '1hh', '0x10m', '1e3s', '9999999d', 'x'.repeat(10_000)])(
    "refuses '%s' with a usage error naming the option",
    (text) => {
      expect(() => parseDuration(text, '--since')).toThrow(UsageError);
      expect(() => parseDuration(text, '--since')).toThrow(/--since/);
    },
  );

  it('quotes hostile values back escaped and short', () => {
    expect(printable('a\u001b[2Jb\nc')).toBe('a\\u001b[2Jb\\nc');
    expect(printable('x'.repeat(500))).toHaveLength(60);
  });
});
