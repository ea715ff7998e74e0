import { describe, expect, it } from 'vitest';
import { cpuPercent, parseCpuTicks } from './cpu.js';

// A real line's layout (proc(5)): utime 250 and stime 37 are the 14th and 15th fields.
const STAT =
  '4242 (node) S 4200 4242 4100 0 -1 4194560 9000 0 3 0 250 37 0 0 20 0 11 0 2057378 1258291200 12000 18446744073709551615';

describe('cpu from /proc/<pid>/stat', () => {
  it('adds utime and stime', () => {
    expect(parseCpuTicks(STAT)).toBe(287);
  });

  it('counts fields after the last parenthesis, whatever the command name holds', () => {
    expect(parseCpuTicks(STAT.replace('(node)', '(my (odd) name)'))).toBe(287);
  });

  it('rejects what is not a stat line', () => {
    expect(() => parseCpuTicks('hello')).toThrow(/not a \/proc/);
  });

  it('is a percentage of one core over the wall time', () => {
    // 150 ticks at 100/s = 1.5 s of CPU in 3 s: half a core.
    expect(cpuPercent(1000, 1150, 3000, 100)).toBe(50);
    // Two cores' worth.
    expect(cpuPercent(0, 400, 2000, 100)).toBe(200);
    expect(cpuPercent(0, 1, 3000, 100)).toBe(0.3);
  });
});
