// Test-only: an ApiLogger that keeps every line, so tests can read what was logged (pino's
// test/helper.js sink(), for our minimal logger interface). Excluded from the build.
import { inspect } from 'node:util';
import type { ApiLogger } from './logger.js';

export interface CapturedLine {
  readonly level: 'debug' | 'info' | 'warn';
  readonly obj: object;
  readonly msg: string;
}

export interface TestLogger extends ApiLogger {
  readonly lines: readonly CapturedLine[];
  /** Everything logged, errors and their causes included, as one searchable string. */
  text(): string;
}

export function createTestLogger(): TestLogger {
  const lines: CapturedLine[] = [];
  const at =
    (level: CapturedLine['level']) =>
    (obj: object, msg: string): void => {
      lines.push({ level, obj, msg });
    };
  return {
    lines,
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    text: () => lines.map((line) => `${line.level} ${line.msg} ${inspect(line.obj, { depth: 8 })}`).join('\n'),
  };
}
