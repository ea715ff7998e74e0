import { EventEmitter } from 'node:events';
import { Writable } from 'node:stream';
import { ConfigError } from '@wxq/config';
import { describe, expect, it, vi } from 'vitest';
import { type MainProcess, type Stoppable, runMain } from './run-main.js';

interface FakeProcess extends MainProcess {
  readonly exits: number[];
  signal(name: 'SIGTERM' | 'SIGINT'): void;
  lines(): Record<string, unknown>[];
}

function fakeProcess(env: NodeJS.ProcessEnv = {}): FakeProcess {
  const emitter = new EventEmitter();
  const exits: number[] = [];
  const chunks: string[] = [];
  return {
    env,
    exits,
    once: (signal, listener) => emitter.once(signal, listener),
    exit: (code) => {
      exits.push(code);
    },
    logDestination: new Writable({
      write(chunk: Buffer, _encoding, done) {
        chunks.push(chunk.toString('utf8'));
        done();
      },
    }),
    signal: (name) => emitter.emit(name, name),
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

const config = { logLevel: 'info' as const, shutdownTimeoutMs: 200 };

describe('runMain', () => {
  it('starts the app, and on SIGTERM stops it and exits 0', async () => {
    const proc = fakeProcess();
    const stop = vi.fn(() => Promise.resolve());
    await runMain({ name: 'test', loadConfig: () => config, start: () => Promise.resolve({ stop }) }, proc);
    expect(stop).not.toHaveBeenCalled();
    proc.signal('SIGTERM');
    await vi.waitFor(() => {
      expect(proc.exits).toEqual([0]);
    });
    expect(stop).toHaveBeenCalledTimes(1);
    expect(proc.lines().map((l) => l['msg'])).toContain('signal received');
  });

  it('logs every config issue and exits 1 without starting', async () => {
    const proc = fakeProcess();
    const start = vi.fn<() => Promise<Stoppable>>();
    const loadConfig = (): typeof config => {
      throw new ConfigError([{ variable: 'REDIS_URL', problem: 'expected a redis:// URL' }]);
    };
    await runMain({ name: 'test', loadConfig, start }, proc);
    expect(proc.exits).toEqual([1]);
    expect(start).not.toHaveBeenCalled();
    const fatal = proc.lines().find((l) => l['level'] === 60);
    expect(JSON.stringify(fatal?.['issues'])).toContain('REDIS_URL');
  });

  it('exits 1 when start fails', async () => {
    const proc = fakeProcess();
    await runMain(
      { name: 'test', loadConfig: () => config, start: () => Promise.reject(new Error('port in use')) },
      proc,
    );
    expect(proc.exits).toEqual([1]);
    expect(proc.lines().find((l) => l['msg'] === 'start failed')).toBeDefined();
  });

  it('exits 1 when stop hangs past shutdownTimeoutMs', async () => {
    const proc = fakeProcess();
    const hang = { stop: () => new Promise<void>(() => undefined) };
    await runMain({ name: 'test', loadConfig: () => config, start: () => Promise.resolve(hang) }, proc);
    proc.signal('SIGINT');
    await vi.waitFor(() => {
      expect(proc.exits).toEqual([1]);
    });
    expect(proc.lines().find((l) => l['msg'] === 'shutdown took too long, exiting')).toBeDefined();
  });

  it('exits 1 when stop fails', async () => {
    const proc = fakeProcess();
    await runMain(
      {
        name: 'test',
        loadConfig: () => config,
        start: () => Promise.resolve({ stop: () => Promise.reject(new Error('x')) }),
      },
      proc,
    );
    proc.signal('SIGTERM');
    await vi.waitFor(() => {
      expect(proc.exits).toEqual([1]);
    });
  });
});
