import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QUEUES } from '@wxq/queue';
import { REPO_ROOT, type RedisServer, startRedisServer, startTsProcess } from '@wxq/testing';
import { type WechatApiSimulator, startWechatApiSimulator, writeSandboxState } from '@wxq/wechat-sim';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StatusReport } from '../src/index.js';

// `npm run ops` and `npm run doctor` beside a running `npm start`, with no account in the
// environment: the entry points find the sandbox the way `npm run sim` does, from the state file
// in the directory they run in (here a temp dir holding what scripts/sandbox.ts writes).

const APP_ID = 'wx5b6c7d8e9f0a1b2c';
const APP_SECRET = 'sandboxsecret0123456789abcdef012';
const TOKEN = 'sandboxToken42';
const AES_KEY = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';
const OPS = join(REPO_ROOT, 'apps/ops/src/main.ts');
const DOCTOR = join(REPO_ROOT, 'apps/ops/src/doctor-main.ts');

let cwd: string;
let redis: RedisServer;
let sim: WechatApiSimulator;

beforeAll(async () => {
  cwd = await mkdtemp(join(tmpdir(), 'wxq-ops-sandbox-'));
  // The sandbox's private Redis, with the default prefix: a Redis of this suite's own.
  redis = await startRedisServer();
  sim = await startWechatApiSimulator({ accounts: [{ appId: APP_ID, appSecret: APP_SECRET }] });
  await writeSandboxState(join(cwd, '.wxq'), {
    gatewayUrl: 'http://127.0.0.1:9',
    simulatorUrl: sim.url,
    account: { appId: APP_ID, token: TOKEN, encodingAESKey: AES_KEY, appSecret: APP_SECRET },
    // The sandbox runs as long as this process does.
    pid: process.pid,
    redis: { url: redis.url, dir: redis.dir },
  });
  const connection = new Redis(redis.url);
  const inbound = new Queue(QUEUES.inbound.name, { connection, prefix: '{wxq}' });
  await inbound.add('text', {}, { jobId: 'in-sandbox-job' });
  await inbound.close();
  await connection.quit();
});

afterAll(async () => {
  await sim.stop();
  await redis.stop();
  await rm(cwd, { recursive: true, force: true });
});

async function run(entry: string, args: readonly string[], env: Record<string, string> = {}, dir = cwd) {
  const child = startTsProcess(entry, { cwd: dir, env: { PATH: process.env['PATH'] ?? '', ...env }, args });
  const exit = await child.exited;
  return { code: exit.code, stdout: child.stdoutLines().join('\n'), stderr: child.stderrLines().join('\n') };
}

describe('ops and doctor while `npm start` runs', () => {
  it('ops uses the sandbox’s account and Redis when the environment names no account', async () => {
    const status = await run(OPS, ['status', '--json']);
    expect(status.code, status.stderr).toBe(0);
    const report = JSON.parse(status.stdout) as StatusReport;
    expect(report.queues.inbound.waiting).toBe(1);
    expect(report.accounts.map((a) => a.account)).toContain(APP_ID);
    expect(status.stderr).toContain(
      `using the sandbox of .wxq/sandbox.json (npm start): account ${APP_ID}, Redis 127.0.0.1:${String(redis.port)}`,
    );
  });

  it('doctor checks the sandbox: its Redis, and its AppSecret against its simulator', async () => {
    const checked = await run(DOCTOR, []);
    expect(checked.stdout).toContain('✔ configuration valid for gateway and worker (1 account)');
    expect(checked.stdout).toContain(`✔ Redis reachable at 127.0.0.1:${String(redis.port)}`);
    expect(checked.stdout).toMatch(new RegExp(`✔ .*${APP_ID}`));
    expect(checked.stdout).not.toContain('✖');
    expect(checked.code, checked.stdout).toBe(0);
  });

  it('an account in the environment wins; WXQ_STATE_DIR says where the sandbox is; a stopped one is not used', async () => {
    const other = await run(OPS, ['status', '--json'], {
      WECHAT_APPID: 'wx0000000000000001',
      WECHAT_APPSECRET: APP_SECRET,
      REDIS_URL: redis.url,
    });
    expect(other.code, other.stderr).toBe(0);
    const accounts = (JSON.parse(other.stdout) as StatusReport).accounts.map((a) => a.account);
    expect(accounts).toContain('wx0000000000000001');
    expect(accounts).not.toContain(APP_ID);
    expect(other.stderr).not.toContain('sandbox');

    const elsewhere = await mkdtemp(join(tmpdir(), 'wxq-ops-elsewhere-'));
    try {
      const found = await run(OPS, ['status'], { WXQ_STATE_DIR: join(cwd, '.wxq') }, elsewhere);
      expect(found.code, found.stderr).toBe(0);
      // A sandbox that was killed leaves its file behind; its Redis is gone with it.
      const exited = spawnSync(process.execPath, ['-e', '']);
      await writeSandboxState(join(elsewhere, '.wxq'), {
        gatewayUrl: 'http://127.0.0.1:9',
        account: { appId: APP_ID, token: TOKEN },
        pid: exited.pid,
        redis: { url: 'redis://127.0.0.1:9' },
      });
      const stale = await run(OPS, ['status'], {}, elsewhere);
      expect(stale.code).toBe(3);
      expect(stale.stderr).toContain(`.wxq/sandbox.json: its sandbox (pid ${String(exited.pid)}) has stopped`);
      expect(stale.stderr).toContain('no account');
    } finally {
      await rm(elsewhere, { recursive: true, force: true });
    }
  });
});
