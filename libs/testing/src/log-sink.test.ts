import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { LOG_LEVELS, createLogSink, parseJsonLines } from './log-sink.js';
import { WaitForTimeoutError } from './wait-for.js';

describe('createLogSink', () => {
  it('is a pino destination whose lines come back parsed, and as written', () => {
    const sink = createLogSink();
    const log = pino({ level: 'debug', base: null }, sink.stream);
    log.info({ jobId: 'j1' }, 'reply sent');
    log.warn({ err: new Error('boom', { cause: new Error('root cause') }) }, 'send failed');
    const [sent, failed] = sink.lines();
    expect(sent).toMatchObject({ level: LOG_LEVELS.info, jobId: 'j1', msg: 'reply sent' });
    expect(failed).toMatchObject({ level: LOG_LEVELS.warn, msg: 'send failed', err: { type: 'Error' } });
    // pino's err serializer folds causes into the message: a leak check on text() sees them.
    expect(sink.text()).toContain('root cause');
    expect(sink.lines()).toHaveLength(2);
  });

  it('waits for a line that is written later', async () => {
    const sink = createLogSink();
    const log = pino({ base: null }, sink.stream);
    const waiting = sink.waitForLine((line) => line['msg'] === 'ready', {
      message: 'the ready line',
      timeoutMs: 2_000,
    });
    // Written after the wait's first look, so the wait has to keep looking.
    setTimeout(() => {
      log.info('ready');
    }, 20);
    await expect(waiting).resolves.toMatchObject({ msg: 'ready' });
    await expect(
      sink.waitForLine(() => false, { message: 'a line that never comes', timeoutMs: 30 }),
    ).rejects.toBeInstanceOf(WaitForTimeoutError);
  });
});

describe('parseJsonLines', () => {
  it('skips lines that are not JSON objects and a trailing partial line', () => {
    expect(parseJsonLines('banner\n{"a":1}\n[1,2]\n{"b":2}\n{"partial":')).toEqual([{ a: 1 }, { b: 2 }]);
    expect(parseJsonLines('')).toEqual([]);
  });

  it('throws on a torn line that looks like JSON', () => {
    expect(() => parseJsonLines('{"a":\n')).toThrow(SyntaxError);
  });
});
