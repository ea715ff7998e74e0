import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { findFreePort } from '@wxq/testing';
import { describe, expect, inject, it } from 'vitest';
import { APP_ID, TOKEN } from './helpers/pushes.js';

// What a gateway process loads: the admin listener's packages (Express, Bull Board, prom-client
// for /metrics) only when the listener starts (docs/deploy.md, "Memory").

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const ADMIN_PACKAGES = /node_modules\/(prom-client|express|@bull-board\/[^/]+)\//;

// Starts a gateway as main.ts does, then prints the admin packages among the CommonJS modules loaded.
const SCRIPT = `
import { createRequire } from 'node:module';
import { loadGatewayConfig } from '@wxq/config';
import { createLogger } from '@wxq/logging';
import { startGateway } from '@wxq/gateway';
const gateway = await startGateway(loadGatewayConfig(process.env), { logger: createLogger({ level: 'silent' }) });
const pattern = new RegExp(process.env.ADMIN_PACKAGES);
const loaded = Object.keys(createRequire(import.meta.url).cache).map((file) => pattern.exec(file)?.[1]).filter(Boolean);
await gateway.stop();
process.stdout.write(JSON.stringify([...new Set(loaded)].sort()), () => process.exit(0));
`;

async function adminPackagesLoaded(env: Readonly<Record<string, string>>): Promise<string[]> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--conditions=@wxq/source', '--import', 'tsx', '--input-type=module', '-e', SCRIPT],
    {
      cwd: ROOT,
      env: {
        PATH: process.env['PATH'] ?? '',
        REDIS_URL: inject('redisUrl'),
        WECHAT_APPID: APP_ID,
        WECHAT_TOKEN: TOKEN,
        WXQ_QUEUE_PREFIX: `{test-loaded-${String(process.pid)}}`,
        PORT: '0',
        HOST: '127.0.0.1',
        ADMIN_PACKAGES: ADMIN_PACKAGES.source,
        ...env,
      },
      timeout: 30_000,
    },
  );
  return JSON.parse(stdout) as string[];
}

describe('packages a gateway process loads', () => {
  it('none of the admin listener’s without ADMIN_PASSWORD; all of them with it', async () => {
    expect(await adminPackagesLoaded({})).toEqual([]);
    const withAdmin = await adminPackagesLoaded({
      ADMIN_PASSWORD: 'correct-horse-battery',
      ADMIN_PORT: String(await findFreePort()),
    });
    expect(withAdmin).toEqual(
      expect.arrayContaining(['@bull-board/api', '@bull-board/express', 'express', 'prom-client']),
    );
  });
});
