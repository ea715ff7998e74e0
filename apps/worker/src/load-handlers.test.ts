import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { demoHandlers } from '@wxq/handlers';
import { createLogger } from '@wxq/logging';
import { createLogSink } from '@wxq/testing';
import { describe, expect, it } from 'vitest';
import { DEMO_HANDLERS, loadHandlers } from './load-handlers.js';

function logged() {
  const sink = createLogSink();
  return { sink, log: createLogger({ level: 'info', name: 'test' }, sink.stream) };
}

describe('loadHandlers', () => {
  it('WXQ_HANDLERS=demo: the demo, on purpose, without a word', async () => {
    const { sink, log } = logged();
    expect(await loadHandlers(DEMO_HANDLERS, process.cwd(), log)).toBe(demoHandlers);
    expect(sink.lines()).toEqual([]);
  });

  it('WXQ_HANDLERS unset: the demo, with a warning at start', async () => {
    const { sink, log } = logged();
    expect(await loadHandlers(undefined, process.cwd(), log)).toBe(demoHandlers);
    const lines = sink.lines();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 40 });
    expect(String(lines[0]?.['msg'])).toContain('WXQ_HANDLERS is not set');
  });

  it('a module that exports no handlers is refused by name', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wxq-handlers-'));
    writeFileSync(join(dir, 'not-handlers.mjs'), 'export default { hello: 1 };\n');
    const { log } = logged();
    await expect(loadHandlers('./not-handlers.mjs', dir, log)).rejects.toThrow(
      './not-handlers.mjs must export the result of defineHandlers',
    );
  });
});
