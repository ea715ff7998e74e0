// `npm start` as a new user runs it: no Redis URL, no WeChat account. It cleans up after a killed
// predecessor, answers `npm run sim` in every mode, refuses a second start, keeps its Redis out
// of the Ctrl-C process group, and leaves nothing behind on SIGTERM.
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type RedisServer,
  canReadProcessGroups,
  processGroupOf,
  redisServerPid,
  startRedisServer,
} from '@wxq/redis-server';
import { waitFor } from '@wxq/testing';
import { type SandboxState, readSandboxState, stateFilePath } from '@wxq/wechat-sim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isProcessRunning } from '../scripts/process-alive.js';
import { stopRedisOfKilledSandbox } from '../scripts/sandbox-redis.js';
import { deadPid, refusesConnections as refuses, runNpm, startNpm } from './helpers.js';

let stateDir: string;
let sandbox: ChildProcess;
let sandboxOutput: () => string;
let state: SandboxState;
// A redis-server as a killed earlier sandbox would have left it: running, with a lease file.
let leftByKilledSandbox: RedisServer;

// The environment a new user has: no Redis URL, no WeChat account; ports chosen by the OS.
function userEnv(): NodeJS.ProcessEnv {
  const inherited = Object.entries(process.env).filter(
    ([name]) => !name.startsWith('WECHAT_') && !name.startsWith('REDIS_') && name !== 'WXQ_ACCOUNTS_FILE',
  );
  return {
    ...Object.fromEntries(inherited),
    WXQ_STATE_DIR: stateDir,
    PORT: '0',
    ADMIN_PORT: '0',
    SIM_PORT: '0',
    API_PORT: '0',
  };
}

function run(args: readonly string[]): ReturnType<typeof runNpm> {
  return runNpm(args, userEnv());
}

function isAlive(pid: number | undefined): boolean {
  return pid !== undefined && isProcessRunning(pid);
}

beforeAll(async () => {
  stateDir = await mkdtemp(join(tmpdir(), 'wxq-sandbox-test-'));
  leftByKilledSandbox = await startRedisServer({ ownProcessGroup: true });
  await writeFile(
    join(stateDir, 'redis.json'),
    JSON.stringify({ sandboxPid: await deadPid(), url: leftByKilledSandbox.url, dir: leftByKilledSandbox.dir }),
  );
  ({ child: sandbox, output: sandboxOutput } = startNpm(['start'], userEnv()));
  state = await waitFor(() => readSandboxState(stateDir), {
    timeoutMs: 45_000,
    message: 'the sandbox wrote its state file',
  });
  await waitFor(() => sandboxOutput().includes('Ctrl-C stops everything'), {
    timeoutMs: 5_000,
    message: 'the sandbox printed its banner',
  });
}, 60_000);

afterAll(async () => {
  if (isAlive(state.pid)) {
    process.kill(-(sandbox.pid ?? 0), 'SIGKILL');
    await waitFor(() => !isAlive(state.pid), { timeoutMs: 5_000, message: 'the killed sandbox to go' });
    await stopRedisOfKilledSandbox(stateDir);
  }
  await leftByKilledSandbox.stop();
  await rm(stateDir, { recursive: true, force: true });
});

describe('npm start (the sandbox)', () => {
  it('prints the URLs, the admin password and the first command', () => {
    expect(sandboxOutput()).toContain('wxq sandbox is running');
    expect(sandboxOutput()).toContain('npm run sim -- send text "hello"');
    expect(sandboxOutput()).toMatch(/admin login {4}admin \/ \S+/);
    expect(state.simulatorUrl).toBeDefined();
    expect(state.account.encodingAESKey).toHaveLength(43);
  });

  it("serves the worker's probes and metrics at the URL it prints", async () => {
    const readyz = /worker probes {2}(http:\/\/127\.0\.0\.1:\d+\/readyz)/.exec(sandboxOutput())?.[1];
    expect(readyz).toBeDefined();
    await waitFor(async () => (await fetch(readyz ?? '')).status === 200, { message: 'the worker ready' });
    const metrics = await fetch((readyz ?? '').replace('/readyz', '/metrics'));
    expect(await metrics.text()).toContain('# TYPE wxq_worker_sends_total counter');
  });

  it('sends a template message through the API it prints, and WeChat reports it delivered', async () => {
    const token = /API token {6}(\S+)/.exec(sandboxOutput())?.[1];
    expect(token).toBeDefined();
    expect(state.apiUrl).toBeDefined();
    const headers = { authorization: `Bearer ${token ?? ''}`, 'content-type': 'application/json' };
    const body = JSON.stringify({
      to: 'oSandboxUser',
      template: { id: 'demo_template', data: { thing1: { value: 'Order 42' } } },
    });
    const queued = await fetch(`${state.apiUrl ?? ''}/api/v1/messages`, { method: 'POST', headers, body });
    expect(queued.status).toBe(202);
    const { id } = (await queued.json()) as { id: string };
    // Sent by the worker to the simulator, whose report comes back through the gateway.
    const delivered = await waitFor(
      async () => {
        const answer = await fetch(`${state.apiUrl ?? ''}/api/v1/messages/${id}`, { headers });
        const record = (await answer.json()) as { status: string; msgid?: string };
        return record.status === 'delivered' ? record : undefined;
      },
      { message: 'the template message to be delivered', timeoutMs: 20_000 },
    );
    expect(delivered.msgid).toMatch(/^\d+$/);
    expect((await fetch(`${state.apiUrl ?? ''}/api/v1/messages`, { method: 'POST', body })).status).toBe(401);
  });

  it('first stopped the redis-server that a killed earlier sandbox left running', async () => {
    expect(sandboxOutput()).toContain(
      `stopped the redis-server at ${leftByKilledSandbox.url} left running by a killed sandbox`,
    );
    expect(await refuses(leftByKilledSandbox.url.replace('redis:', 'http:'))).toBe(true);
    expect(existsSync(leftByKilledSandbox.dir)).toBe(false);
  });

  for (const mode of ['plaintext', 'compatible', 'safe'] as const) {
    it(`answers a ${mode} message: the echo reaches the simulated WeChat API`, async () => {
      const result = await run(['sim', '--', 'send', 'text', `hello ${mode} 你好`, '--mode', mode]);
      expect(result.code).toBe(0);
      expect(result.stdout).toContain(`POST /wechat (${mode}) -> 200 success`);
      expect(result.stdout).toContain(`"content":"hello ${mode} 你好"`);
    }, 30_000);
  }

  it('a repeated push is one message: success three times, one reply', async () => {
    const result = await run(['sim', '--', 'send', 'text', 'once', '--repeat', '3']);
    expect(result.stdout.match(/-> 200 success/g)).toHaveLength(3);
    expect(result.stdout.match(/reply ->/g)).toHaveLength(1);
  }, 30_000);

  it('replays a captured XML push (re-signed) and answers the GET handshake', async () => {
    const captured = join(stateDir, 'captured.xml');
    // Captured a minute ago: inside WeChat's 48 h reply window, which the sandbox's ledger keeps.
    const createTime = Math.floor(Date.now() / 1000) - 60;
    await writeFile(
      captured,
      '<xml><ToUserName><![CDATA[gh_0123456789ab]]></ToUserName><FromUserName><![CDATA[oReplay000000000000000000001]]></FromUserName>' +
        `<CreateTime>${createTime}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[replayed]]></Content><MsgId>9223372036854775001</MsgId></xml>`,
    );
    const replay = await run(['sim', '--', 'replay', captured, '--mode', 'compatible']);
    expect(replay.stdout).toContain('POST /wechat (compatible) -> 200 success');
    expect(replay.stdout).toContain('"touser":"oReplay000000000000000000001"');
    const handshake = await run(['sim', '--', 'handshake']);
    expect(handshake.stdout).toMatch(/GET \/wechat -> 200 \S+ \(echostr matches\)/);
  }, 30_000);

  it('a second npm start on the same state dir refuses and leaves the running sandbox alone', async () => {
    const second = await run(['start']);
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(`a sandbox is already running (pid ${String(state.pid)}`);
    expect(await readSandboxState(stateDir)).toEqual(state);
    expect(existsSync(join(stateDir, 'redis.json'))).toBe(true);
    expect(await refuses(state.gatewayUrl)).toBe(false);
  }, 30_000);

  it.runIf(canReadProcessGroups)('runs its Redis outside the process group a Ctrl-C reaches', async () => {
    // Otherwise SIGINT/SIGTERM to the group stops Redis while the worker still drains into it.
    const redisPid = await redisServerPid(state.redis?.url ?? '');
    expect(await processGroupOf(state.pid ?? 0)).toBe(sandbox.pid);
    expect(await processGroupOf(redisPid)).not.toBe(sandbox.pid);
  });

  it('stops on SIGTERM and leaves no process, port or temp dir behind', async () => {
    expect(isAlive(state.pid)).toBe(true);
    process.kill(-(sandbox.pid ?? 0), 'SIGTERM');
    await waitFor(() => !isAlive(state.pid), { timeoutMs: 40_000, message: 'the sandbox process exited' });
    expect(sandboxOutput()).not.toContain('did not stop');
    // Redis has its own process group and is stopped last, so the worker drains without losing it.
    expect(sandboxOutput()).not.toMatch(/ECONNREFUSED|redis error/);
    expect(existsSync(stateFilePath(stateDir))).toBe(false);
    expect(await refuses(state.gatewayUrl)).toBe(true);
    expect(await refuses(state.simulatorUrl ?? '')).toBe(true);
    const redis = state.redis;
    expect(redis).toBeDefined();
    expect(await refuses(redis?.url.replace('redis:', 'http:') ?? '')).toBe(true);
    expect(existsSync(redis?.dir ?? '/nonexistent')).toBe(false);
    expect(existsSync(join(stateDir, 'redis.json'))).toBe(false);
  }, 60_000);
});
