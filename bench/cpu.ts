// A target's CPU use during its load, from /proc/<pid>/stat: user + system time of every thread
// of the process, in clock ticks. 100 % is one core busy for the whole load. A core's use, from
// /proc/stat, counts every process on it, the bench's and anyone else's: how loaded the box was.
import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';

/** utime + stime (fields 14 and 15 of proc(5)'s /proc/<pid>/stat), in clock ticks. */
export function parseCpuTicks(stat: string): number {
  // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so count after the last ')'.
  // The first field after it is the 3rd (state), so utime (14th) and stime (15th) are at 11 and 12.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isInteger(utime) || !Number.isInteger(stime)) throw new Error(`not a /proc/<pid>/stat line: ${stat}`);
  return utime + stime;
}

/** One core's busy and total time so far, in clock ticks, from /proc/stat's `cpuN` line (proc(5)). */
export function parseCoreTicks(stat: string, core: number): { busy: number; total: number } {
  const line = stat.split('\n').find((l) => l.startsWith(`cpu${String(core)} `));
  // user nice system idle iowait irq softirq steal: guest time is already inside user.
  const fields = (line ?? '').trim().split(/\s+/).slice(1, 9).map(Number);
  if (fields.length < 8 || fields.some((f) => !Number.isInteger(f)))
    throw new Error(`no cpu${String(core)} line in /proc/stat`);
  const total = fields.reduce((a, b) => a + b, 0);
  return { busy: total - (fields[3] ?? 0) - (fields[4] ?? 0), total };
}

/**
 * Runs `work` and measures how busy each of `cores` was meanwhile, in percent of that core (100:
 * busy all along), whoever ran on it.
 */
export async function measureCores<T>(
  cores: readonly number[],
  work: () => Promise<T>,
): Promise<{ result: T; busyPct: number[] }> {
  const read = async () => {
    const stat = await readFile('/proc/stat', 'utf8');
    return cores.map((core) => parseCoreTicks(stat, core));
  };
  const before = await read();
  const result = await work();
  const after = await read();
  return {
    result,
    busyPct: after.map((a, i) => {
      const b = before[i] ?? a;
      const total = a.total - b.total;
      return total > 0 ? Math.round(((a.busy - b.busy) / total) * 1000) / 10 : Number.NaN;
    }),
  };
}

/** CPU use between two readings as a percentage of one core over `wallMs`, to one decimal. */
export function cpuPercent(beforeTicks: number, afterTicks: number, wallMs: number, ticksPerSecond: number): number {
  const cpuMs = ((afterTicks - beforeTicks) * 1000) / ticksPerSecond;
  return Math.round((cpuMs / wallMs) * 1000) / 10;
}

let ticksPerSecond: number | undefined;

/** The kernel's clock ticks per second (`getconf CLK_TCK`; 100 on every Linux we run), read once. */
function clockTicksPerSecond(): number {
  if (ticksPerSecond !== undefined) return ticksPerSecond;
  try {
    const ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    ticksPerSecond = Number.isInteger(ticks) && ticks > 0 ? ticks : 100;
  } catch {
    ticksPerSecond = 100;
  }
  return ticksPerSecond;
}

/** A process's CPU time so far. */
async function readCpuTicks(pid: number): Promise<number> {
  return parseCpuTicks(await readFile(`/proc/${String(pid)}/stat`, 'utf8'));
}

/**
 * Runs `work` and measures the CPU the processes `pids` used meanwhile, as a percentage of one
 * core: summed (two processes each busy all along: 200) and per process, in the order of `pids`;
 * and the CPU time itself, summed and per process.
 */
export async function measureCpu<T>(
  pids: readonly number[],
  work: () => Promise<T>,
): Promise<{ result: T; cpuPct: number; cpuMs: number; perProcessPct: number[]; perProcessMs: number[] }> {
  const before = await Promise.all(pids.map(readCpuTicks));
  const started = performance.now();
  const result = await work();
  const wallMs = performance.now() - started;
  const after = await Promise.all(pids.map(readCpuTicks));
  const used = after.map((value, i) => value - (before[i] ?? value));
  const ticks = used.reduce((total, value) => total + value, 0);
  return {
    result,
    cpuPct: cpuPercent(0, ticks, wallMs, clockTicksPerSecond()),
    cpuMs: (ticks * 1000) / clockTicksPerSecond(),
    perProcessPct: used.map((value) => cpuPercent(0, value, wallMs, clockTicksPerSecond())),
    perProcessMs: used.map((value) => (value * 1000) / clockTicksPerSecond()),
  };
}
