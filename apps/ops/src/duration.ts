import { UsageError } from './cli-io.js';

const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;
/** Longer than any job is kept (failed jobs: 7 days); bounds hostile input like `--since 99999999999d`. */
const MAX_DURATION_MS = 365 * UNIT_MS.d;

/**
 * `30s`, `15m`, `1h`, `2d`, `1w` as milliseconds.
 * @throws UsageError for anything else, naming the option
 */
export function parseDuration(text: string, option: string): number {
  const match = /^(\d{1,6})([smhdw])$/.exec(text.trim());
  if (match === null) {
    throw new UsageError(`${option} expects a duration like 30s, 15m, 1h, 2d or 1w, not '${printable(text)}'`);
  }
  const ms = Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
  if (ms > MAX_DURATION_MS) throw new UsageError(`${option} is at most 365d, not '${printable(text)}'`);
  return ms;
}

/** A value quoted back to the operator: control characters escaped, at most 60 characters. */
export function printable(text: string): string {
  const escaped = JSON.stringify(text).slice(1, -1);
  return escaped.length > 60 ? `${escaped.slice(0, 57)}...` : escaped;
}
