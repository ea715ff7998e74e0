import { describe, expect, it } from 'vitest';
import { cpuPercent, parseCoreTicks, parseCpuTicks } from './cpu.js';

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

// /proc/stat's layout (proc(5)): user nice system idle iowait irq softirq steal guest guest_nice.
const PROC_STAT = [
  'cpu  1807313 1983 464074 8155065 7535 0 52083 0 0 0',
  'cpu0 935881 967 228293 4049930 967 0 26110 0 0 0',
  'cpu1 871432 1016 235781 4105134 6568 0 25972 0 0 0',
  'intr 1 2 3',
].join('\n');

describe('a core from /proc/stat', () => {
  it('counts everything but idle and iowait as busy', () => {
    expect(parseCoreTicks(PROC_STAT, 1)).toEqual({
      busy: 871432 + 1016 + 235781 + 25972,
      total: 871432 + 1016 + 235781 + 4105134 + 6568 + 25972,
    });
  });

  it('reads the core asked for, not the summary line', () => {
    expect(parseCoreTicks(PROC_STAT, 0).busy).toBe(935881 + 967 + 228293 + 26110);
  });

  it('rejects a core the machine does not have', () => {
    expect(() => parseCoreTicks(PROC_STAT, 2)).toThrow(/no cpu2 line/);
  });
});
