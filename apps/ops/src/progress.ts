import type { CliIo } from './cli-io.js';

/** Batches at least this large show a progress bar (on a terminal only: scripts get clean output). */
const PROGRESS_MIN_BATCH = 50;
const BAR_CHARS = 30;

export interface Progress {
  tick(): void;
  done(): void;
}

/** A one-line bar on stderr, redrawn in place; nothing unless stderr is a terminal and the batch is large. */
export function createProgress(io: CliIo, label: string, total: number): Progress {
  if (!io.stderrIsTTY || total < PROGRESS_MIN_BATCH) return { tick: () => undefined, done: () => undefined };
  let count = 0;
  const draw = () => {
    const filled = Math.round((count / total) * BAR_CHARS);
    io.stderr.write(`\r${label} [${'#'.repeat(filled)}${'-'.repeat(BAR_CHARS - filled)}] ${count}/${total}`);
  };
  draw();
  return {
    tick() {
      count += 1;
      draw();
    },
    done() {
      io.stderr.write('\n');
    },
  };
}
