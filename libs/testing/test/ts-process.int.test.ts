import { readFile } from 'node:fs/promises';
import { describe, expect, it, onTestFinished } from 'vitest';
import { canReadProcessGroups, processGroupOf } from '@wxq/redis-server';
import { LOG_LEVELS, type TsProcess, WaitForTimeoutError, startTsProcess, waitFor } from '../src/index.js';

const FIXTURE = 'libs/testing/test/fixtures/echo-process.ts';

function start(
  env: Readonly<Record<string, string>> = {},
  options: { args?: readonly string[]; ownProcessGroup?: boolean } = {},
): TsProcess {
  const child = startTsProcess(FIXTURE, { env, ...options });
  onTestFinished(() => child.stop({ signal: 'SIGKILL' }).then(() => undefined));
  return child;
}

/** No such process, or a zombie waiting for init to reap it (a killed orphan's last state). */
async function isGone(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${String(pid)}/stat`, 'utf8').catch(() => undefined);
  return stat === undefined || stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
}

// tsx compiles the entry on first start; a cold 2-core machine needs a few seconds.
const STARTED = { message: 'the fixture to log "fixture listening"', timeoutMs: 15_000 };

describe('startTsProcess', () => {
  it('runs a .ts entry with exactly the given env and args, line by line on stdout and stderr', async () => {
    const child = start({ FIXTURE_GREETING: 'hello' }, { args: ['--port', '0'] });
    const listening = await child.waitForLogLine((line) => line['msg'] === 'fixture listening', STARTED);
    expect(listening).toMatchObject({
      level: LOG_LEVELS.info,
      pid: child.pid,
      args: ['--port', '0'],
      greeting: 'hello',
      inheritedPath: false,
    });
    expect(
      await child.waitForLine((line) => line.startsWith('plain text'), { message: 'the plain line', timeoutMs: 1_000 }),
    ).toBe('plain text before the log lines');
    // Only the JSON lines count as log lines.
    expect(child.logLines().map((line) => line['msg'])).toEqual(['fixture listening']);
    await waitFor(() => child.stderrLines().includes('a warning on stderr'), {
      message: 'the stderr line',
      timeoutMs: 2_000,
    });
    expect(child.output()).toContain('a warning on stderr');
    expect(child.hasExited()).toBe(false);
  });

  it('stops with SIGTERM and reports the exit; stop() is idempotent', async () => {
    const child = start();
    await child.waitForLogLine((line) => line['msg'] === 'fixture listening', STARTED);
    const exit = await child.stop();
    expect(exit).toEqual({ code: 0, signal: null });
    expect(child.logLines().at(-1)).toMatchObject({ msg: 'stopping' });
    expect(await child.stop()).toBe(exit);
    expect(child.hasExited()).toBe(true);
  });

  it('sends SIGKILL once the deadline passes', async () => {
    const child = start({ FIXTURE_ON_SIGTERM: 'ignore' });
    await child.waitForLogLine((line) => line['msg'] === 'fixture listening', STARTED);
    expect(await child.stop({ timeoutMs: 500 })).toEqual({ code: null, signal: 'SIGKILL' });
    expect(child.logLines().map((line) => line['msg'])).toContain('ignoring SIGTERM');
  });

  it('fails a wait at once, quoting the output, when the process exits first', async () => {
    const child = start({ FIXTURE_EXIT_AT_ONCE: '1' });
    const waiting = child.waitForLine(() => false, { message: 'a line that never comes', timeoutMs: 60_000 });
    await expect(waiting).rejects.toThrow(
      /exited \(code 3, signal null\)[\s\S]*refusing to start: FIXTURE_EXIT_AT_ONCE/,
    );
    await expect(waiting).rejects.not.toBeInstanceOf(WaitForTimeoutError);
    expect(await child.exited).toEqual({ code: 3, signal: null });
  });

  it.runIf(canReadProcessGroups)(
    'with ownProcessGroup, leads a group of its own and signals reach its children too',
    async () => {
      const child = start({ FIXTURE_GRANDCHILD: '1', FIXTURE_ON_SIGTERM: 'ignore' }, { ownProcessGroup: true });
      const listening = await child.waitForLogLine((line) => line['msg'] === 'fixture listening', STARTED);
      const grandchildPid = Number(listening['grandchildPid']);
      expect(await processGroupOf(child.pid)).toBe(child.pid);
      expect(await processGroupOf(grandchildPid)).toBe(child.pid);
      child.signal('SIGKILL');
      expect(await child.exited).toEqual({ code: null, signal: 'SIGKILL' });
      await waitFor(() => isGone(grandchildPid), {
        message: 'the grandchild to be killed with its group',
        timeoutMs: 5_000,
      });
    },
  );
});
