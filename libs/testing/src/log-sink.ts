import { Writable } from 'node:stream';
import { type WaitForOptions, waitFor } from './wait-for.js';

/** One parsed log line: pino writes one JSON object per line (`level`, `time`, `msg`, ...). */
export type LogRecord = Readonly<Record<string, unknown>>;

/** Pino's numeric levels, so assertions can say `level >= LOG_LEVELS.warn`. */
export const LOG_LEVELS = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 } as const;

export interface LogSink {
  /** The destination to hand to `createLogger(settings, sink.stream)` or `pino(options, sink.stream)`. */
  readonly stream: Writable;
  /** Every complete line written so far, parsed; `lines().length` marks a point to slice from later. */
  lines(): LogRecord[];
  /** Everything written so far, as written (to check that a secret never appears anywhere). */
  text(): string;
  /** Resolves with the first line that matches, waiting for it to be written; throws like {@link waitFor}. */
  waitForLine(predicate: (line: LogRecord) => boolean, options: WaitForOptions): Promise<LogRecord>;
}

/**
 * A pino destination that keeps what it is given, for tests that assert on log lines (pino's own
 * `test/helper.js` `sink()`). `lines()` parses like {@link parseJsonLines}.
 */
export function createLogSink(): LogSink {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      chunks.push(typeof chunk === 'string' ? chunk : chunk.toString('utf8'));
      done();
    },
  });
  const text = (): string => chunks.join('');
  const lines = (): LogRecord[] => parseJsonLines(text());
  return {
    stream,
    lines,
    text,
    waitForLine: (predicate, options) => waitFor(() => lines().find(predicate), options),
  };
}

/**
 * The complete lines of `text` that hold JSON objects, parsed; other lines (a banner, a stack
 * printed by something other than pino) and a trailing partial line are skipped.
 * @throws SyntaxError for a line that starts with `{` but is not JSON (a torn or garbled log line)
 */
export function parseJsonLines(text: string): LogRecord[] {
  const end = text.lastIndexOf('\n');
  if (end === -1) return [];
  const records: LogRecord[] = [];
  for (const line of text.slice(0, end).split('\n')) {
    if (!line.startsWith('{')) continue;
    const parsed: unknown = JSON.parse(line);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) records.push(parsed as LogRecord);
  }
  return records;
}
