// Which core runs what. On a 2-core machine a server under test and its load generator otherwise
// fight over both cores, and the scheduler moves them between rounds: the server gets anything
// from one core to most of two, and its figure moves with it. Pinned, every target gets exactly
// one core of its own, and the load generator and Redis share the other.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { canRun } from './run-target.js';

/** Where targets and the load side run; both cores undefined when nothing is pinned. */
export interface Pinning {
  /** The core every target process is started on (`taskset -c`). */
  readonly targetCore: number | undefined;
  /** The core of this bench process (autocannon, the simulator, producers) and of Redis. */
  readonly loadCore: number | undefined;
  /** One line for the printout and latest.json: what was pinned, or why nothing was. */
  readonly description: string;
}

/** "0-2,5" (a cpu list, as /proc/<pid>/status and taskset print it) -> [0, 1, 2, 5]. */
export function parseCpuList(list: string): number[] {
  const cores: number[] = [];
  for (const part of list.trim().split(',')) {
    if (part === '') continue;
    const [first, last = first] = part.split('-').map(Number);
    if (first === undefined || last === undefined || !Number.isInteger(first) || !Number.isInteger(last))
      throw new Error(`not a cpu list: ${JSON.stringify(list)}`);
    for (let core = first; core <= last; core += 1) cores.push(core);
  }
  return cores;
}

/** The pinning for a process allowed on `allowedCores`, given whether `taskset` can be run. */
export function choosePinning(allowedCores: readonly number[], hasTaskset: boolean): Pinning {
  const [targetCore, loadCore] = allowedCores;
  if (targetCore === undefined || loadCore === undefined)
    return none(`none: this process may run on ${String(allowedCores.length)} core only, pinning needs 2`);
  if (!hasTaskset) return none('none: taskset not found (apt-get install util-linux)');
  return {
    targetCore,
    loadCore,
    description:
      `each target alone on core ${String(targetCore)} (taskset -c ${String(targetCore)}); ` +
      `the bench process (autocannon, simulator, producers) and Redis on core ${String(loadCore)}`,
  };
}

function none(description: string): Pinning {
  return { targetCore: undefined, loadCore: undefined, description };
}

/** Reads this process's allowed cores and whether taskset runs, and decides. Linux only; none elsewhere. */
export function detectPinning(): Pinning {
  if (process.platform !== 'linux') return none(`none: pinning uses taskset, which needs Linux (${process.platform})`);
  const status = readFileSync('/proc/self/status', 'utf8');
  const list = /^Cpus_allowed_list:\s*(\S+)/m.exec(status)?.[1] ?? '';
  return choosePinning(parseCpuList(list), canRun('taskset', ['--version']));
}

/** Moves a running process, every thread of it, to `core` (`taskset -a -p -c`). */
export function pinProcess(pid: number, core: number): void {
  execFileSync('taskset', ['-a', '-p', '-c', String(core), String(pid)], { stdio: 'ignore' });
}
