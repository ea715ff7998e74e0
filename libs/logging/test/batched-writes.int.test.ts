import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { REPO_ROOT, type TsProcess, startTsProcess } from '@wxq/testing';
import { afterEach, describe, expect, it } from 'vitest';

// An app's log lines, written in batches (BATCHED_WRITES), as a process that reads them sees them.
const FIXTURE = 'libs/logging/test/fixtures/log-lines.ts';
const ENV = { PATH: process.env['PATH'] };

let running: TsProcess | undefined;
afterEach(async () => {
  await running?.stop({ signal: 'SIGKILL' });
  running = undefined;
});

function seqs(process: TsProcess): unknown[] {
  return process.logLines().map((line) => line['seq']);
}

describe('batched log writes', () => {
  it("a quiet process's lines are written without waiting for more", async () => {
    // Far less than one batch: only the periodic flush writes it.
    running = startTsProcess(FIXTURE, { env: ENV, args: ['idle', '3'] });
    await running.waitForLogLine((line) => line['seq'] === 2, { timeoutMs: 10_000, message: 'the idle lines' });
    expect(seqs(running)).toEqual([0, 1, 2]);
  });

  it.each([
    ['exit', 3],
    ['throw', 1],
  ])('every line buffered when the process ends (%s) is written, in order and whole', async (mode, code) => {
    running = startTsProcess(FIXTURE, { env: ENV, args: [mode, '2000'] });
    const exit = await running.exited;
    expect(exit.code).toBe(code);
    const lines = running.stdoutLines();
    expect(lines).toHaveLength(2000);
    expect(seqs(running)).toEqual(Array.from({ length: 2000 }, (_, i) => i));
    if (mode === 'throw') expect(running.stderrLines().join('\n')).toContain('fixture crashed');
  });

  it('a reader that stops reading neither stalls the process nor makes it hold every line', async () => {
    // stdout is a pipe nobody reads: it fills after 64 KB. A synchronous write would block the
    // event loop there for good.
    const child = spawn(process.execPath, ['--conditions=@wxq/source', '--import', 'tsx', FIXTURE, 'flood', '40'], {
      cwd: REPO_ROOT,
      env: ENV,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const report = await new Promise<{ logged: number; dropped: number }>((resolve, reject) => {
        const timer = setTimeout(() => {
          reject(new Error('no report within 15 s: the event loop is stalled'));
        }, 15_000);
        createInterface({ input: child.stderr }).on('line', (line) => {
          if (!line.startsWith('{"logged"')) return;
          clearTimeout(timer);
          resolve(JSON.parse(line) as { logged: number; dropped: number });
        });
        child.once('exit', (code) => {
          reject(new Error(`exited with ${String(code)} before reporting`));
        });
      });
      expect(report.logged).toBe(40_000);
      // About 40 MB logged, at most 16 MB held: the rest was dropped.
      expect(report.dropped).toBeGreaterThan(20_000);
      expect(report.dropped).toBeLessThan(40_000);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
