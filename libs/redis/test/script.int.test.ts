import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createScript, loadScript } from '../src/index.js';

const redis = new Redis(inject('redisUrl'));
afterAll(async () => {
  await redis.quit();
});

describe('createScript', () => {
  it('runs on a server that has never seen it, then by its SHA1 alone', async () => {
    const script = createScript(`return { KEYS[1], ARGV[1], '${randomUUID()}' ~= '' }`);
    expect(await script.run(redis, ['k'], ['a'])).toEqual(['k', 'a', 1]);
    // Loaded now: a second connection finds it by SHA1.
    const other = new Redis(inject('redisUrl'));
    try {
      expect(await script.run(other, ['k2'], [7])).toEqual(['k2', '7', 1]);
    } finally {
      await other.quit();
    }
  });

  it('tells when it had to send the body again', async () => {
    const script = createScript(`return '${randomUUID()}'`);
    expect((await script.runTelling(redis, [], [])).resent).toBe(true);
    expect((await script.runTelling(redis, [], [])).resent).toBe(false);
  });

  it('passes script errors through', async () => {
    const script = createScript(`return redis.call('INCR', KEYS[1])`);
    const key = `test-${randomUUID()}`;
    await redis.set(key, 'not a number');
    await expect(script.run(redis, [key], [])).rejects.toThrow(/not an integer/);
    await redis.del(key);
  });
});

describe('loadScript', () => {
  it('runs the script in a .lua file, its header comment included', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wxq-lua-'));
    try {
      const file = join(dir, 'echo.lua');
      writeFileSync(
        file,
        `--[[\n  KEYS[1], ARGV[1]: answered back.\n]]\nreturn { KEYS[1], ARGV[1], '${randomUUID()}' ~= '' }\n`,
      );
      const script = loadScript(pathToFileURL(file));
      // Read once, when loaded: a later change to the file is not seen.
      writeFileSync(file, 'return 0');
      expect(await script.run(redis, ['k'], ['a'])).toEqual(['k', 'a', 1]);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });

  it('throws when the file is missing, at load rather than at the first call', () => {
    expect(() => loadScript(new URL('./lua/no-such-script.lua', import.meta.url))).toThrow(/ENOENT/);
  });
});
