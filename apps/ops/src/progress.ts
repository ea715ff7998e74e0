import type { Writable } from 'node:stream';
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
  const bar = createBar(io.stderr, label, total);
  let count = 0;
  return {
    tick() {
      count += 1;
      bar.update(count);
    },
    done() {
      bar.done();
    },
  };
}

export interface Bar {
  /** Redraws the bar at `count` of the total, and `note` after it. */
  update(count: number, note?: string): void;
  /** Ends the bar's line. */
  done(): void;
}

/** A one-line bar on `stream`, drawn at once and redrawn in place; for a terminal (the caller checks). */
export function createBar(stream: Writable, label: string, total: number): Bar {
  let width = 0;
  const draw = (count: number, note: string) => {
    const filled = total === 0 ? BAR_CHARS : Math.min(BAR_CHARS, Math.round((count / total) * BAR_CHARS));
    const line = `${label} [${'#'.repeat(filled)}${'-'.repeat(BAR_CHARS - filled)}] ${count}/${total}${note}`;
    // A shorter line than the last would leave its tail on the screen.
    stream.write(`\r${line.padEnd(width)}`);
    width = Math.max(width, line.length);
  };
  draw(0, '');
  return {
    update(count, note) {
      draw(count, note === undefined ? '' : `  ${note}`);
    },
    done() {
      stream.write('\n');
    },
  };
}
