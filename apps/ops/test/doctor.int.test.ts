import { randomUUID } from 'node:crypto';
import { startRedisCluster } from '@wxq/redis-server';
import { type RedisServer, type TsProcess, findFreePort, startRedisServer, startTsProcess } from '@wxq/testing';
import { type WechatApiSimulatorOptions, startWechatApiSimulator } from '@wxq/wechat-sim';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it, onTestFinished } from 'vitest';
import { runDoctor } from '../src/index.js';
import { APP_ID, APP_SECRET, captureIo } from './helpers.js';

// `npm run doctor` against real Redis servers (standalone, a private one whose settings a test
// may change, a Cluster), the WeChat API simulator and a real gateway process.

const TOKEN = 'CallbackToken123';
const AES_KEY = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';

let privateRedis: RedisServer;
beforeAll(async () => {
  privateRedis = await startRedisServer();
});
afterAll(async () => {
  await privateRedis.stop();
});

interface DoctorRun {
  readonly code: number;
  readonly lines: readonly string[];
  readonly output: string;
}

async function simulator(options: Partial<WechatApiSimulatorOptions> = {}) {
  const sim = await startWechatApiSimulator({ accounts: [{ appId: APP_ID, appSecret: APP_SECRET }], ...options });
  onTestFinished(() => sim.stop());
  return sim;
}

async function doctor(
  env: Readonly<Record<string, string>>,
  args: readonly string[] = [],
  simOptions: Partial<WechatApiSimulatorOptions> = {},
): Promise<DoctorRun> {
  const sim = await simulator(simOptions);
  const captured = captureIo({
    REDIS_URL: inject('redisUrl'),
    WECHAT_APPID: APP_ID,
    WECHAT_APPSECRET: APP_SECRET,
    WECHAT_TOKEN: TOKEN,
    WECHAT_API_BASE_URL: sim.url,
    WXQ_QUEUE_PREFIX: `{test-${randomUUID()}}`,
    ...env,
  });
  const code = await runDoctor(args, captured.io);
  const output = captured.stdout() + captured.stderr();
  return { code, lines: captured.stdout().trimEnd().split('\n'), output };
}

/**
 * The first line matching `pattern`. Match an errcode or a status with its punctuation, never
 * bare: a port in another line can hold the same digits.
 */
function line(run: DoctorRun, pattern: RegExp): string {
  const found = run.lines.find((l) => pattern.test(l));
  if (found === undefined) throw new Error(`no line matches ${String(pattern)} in:\n${run.output}`);
  return found;
}

describe('doctor on a healthy setup', () => {
  it('prints one ✔ line per check and exits 0; no secret appears', async () => {
    const run = await doctor({});
    expect(run.code).toBe(0);
    expect(run.lines[0]).toBe('✔ configuration valid for gateway and worker (1 account)');
    expect(line(run, /Redis reachable/)).toMatch(/^✔ Redis reachable at 127\.0\.0\.1:\d+, version \d+\.\d+\.\d+$/);
    expect(line(run, /maxmemory-policy/)).toBe('✔ maxmemory-policy is noeviction');
    expect(line(run, /AppSecret/)).toBe(`✔ ${APP_ID}: the AppSecret gets an access_token`);
    expect(line(run, /plaintext mode/)).toBe(
      `✔ ${APP_ID}: plaintext mode (no EncodingAESKey): the console must be set to 明文模式`,
    );
    expect(line(run, /clock/)).toBe("✔ clock within 5 s of WeChat's");
    expect(line(run, /ALLOWLIST/)).toMatch(/^✔ no WECHAT_IP_ALLOWLIST/);
    expect(run.lines.every((l) => /^[✔⚠✖] /.test(l))).toBe(true);
    expect(run.output).not.toContain(APP_SECRET);
    expect(run.output).not.toContain(TOKEN);
  });
});

describe('doctor on Redis', () => {
  it('✖ an evicting maxmemory-policy; ⚠ AOF off, ✔ once on', async () => {
    const admin = new Redis(privateRedis.url);
    onTestFinished(async () => {
      await admin.config('SET', 'maxmemory-policy', 'noeviction');
      await admin.config('SET', 'appendonly', 'no');
      await admin.quit();
    });
    await admin.config('SET', 'maxmemory-policy', 'allkeys-lru');
    await admin.config('SET', 'appendonly', 'no');
    const evicting = await doctor({ REDIS_URL: privateRedis.url });
    expect(evicting.code).toBe(1);
    expect(line(evicting, /maxmemory-policy/)).toBe(
      "✖ maxmemory-policy is allkeys-lru: Redis may evict BullMQ's keys and lose or corrupt jobs — fix: set maxmemory-policy noeviction (redis.conf, or your provider’s parameter group)",
    );
    expect(line(evicting, /persistence/)).toMatch(
      /^⚠ persistence: AOF off: a Redis restart loses every push acknowledged .* — fix: appendonly yes/,
    );

    await admin.config('SET', 'maxmemory-policy', 'noeviction');
    await admin.config('SET', 'appendonly', 'yes');
    const fixed = await doctor({ REDIS_URL: privateRedis.url });
    expect(fixed.code).toBe(0);
    expect(line(fixed, /persistence/)).toBe('✔ persistence: AOF on');
  });

  it('✖ an unreachable Redis, naming where it looked (never the password), and goes on with the other checks', async () => {
    const run = await doctor({ REDIS_URL: 'redis://:s3cret@127.0.0.1:1' });
    expect(run.code).toBe(1);
    expect(line(run, /Redis/)).toBe(
      '✖ Redis at 127.0.0.1:1 did not answer within 5 s (ECONNREFUSED) — fix: start Redis, or fix REDIS_URL / REDIS_CLUSTER_NODES',
    );
    expect(line(run, /AppSecret/)).toMatch(/^✔/);
    expect(run.output).not.toContain('s3cret');
  });

  it('on a Cluster: every master reachable and the prefix a hash tag', async () => {
    const cluster = await startRedisCluster();
    onTestFinished(() => cluster.stop());
    const run = await doctor({ REDIS_CLUSTER_NODES: cluster.nodes.join(','), WXQ_QUEUE_PREFIX: '{wxq-doctor}' });
    expect(run.code).toBe(0);
    expect(line(run, /masters/)).toBe('✔ Redis Cluster: all 3 masters reachable');
    expect(line(run, /hash tag/)).toMatch(
      /^✔ WXQ_QUEUE_PREFIX \{wxq-doctor\} is a hash tag: every wxq key is in slot \d+$/,
    );
    // Three shards of the default prefix: the server's KEYSLOT agrees with wxq's, one shard per master.
    const sharded = await doctor({ REDIS_CLUSTER_NODES: cluster.nodes.join(','), WXQ_QUEUE_SHARDS: '3' });
    expect(line(sharded, /WXQ_QUEUE_SHARDS/)).toMatch(/^✔ WXQ_QUEUE_SHARDS=3: slots \d+, \d+, \d+ on 3 of 3 masters$/);

    // A master that stops answering (paused for a few seconds) is named.
    const last = cluster.ports[2] ?? 0;
    const pauser = new Redis({ port: last, host: '127.0.0.1' });
    onTestFinished(() => {
      pauser.disconnect();
    });
    await pauser.call('CLIENT', 'PAUSE', '6000', 'ALL');
    const hung = await doctor({
      // The hung node first: the seed is the first node that answers.
      REDIS_CLUSTER_NODES: [...cluster.nodes].reverse().join(','),
      WXQ_QUEUE_PREFIX: '{wxq-doctor}',
    });
    expect(hung.code).toBe(1);
    expect(line(hung, /masters/)).toBe(
      `✖ Redis Cluster: 1 of 3 masters do not answer: 127.0.0.1:${last} — fix: bring them back or fix REDIS_CLUSTER_NODES; jobs in their slots wait meanwhile`,
    );
  });
});

describe('doctor on the WeChat account', () => {
  it('✖ 40013 for an AppID WeChat does not know', async () => {
    const run = await doctor({ WECHAT_APPID: 'wx00000000000000ff' });
    expect(run.code).toBe(1);
    expect(line(run, /\(40013\)/)).toBe(
      '✖ wx00000000000000ff is not an AppID WeChat knows (40013) — fix: copy the AppID from 公众号后台 → 设置与开发 → 基本配置',
    );
  });

  it.each([
    ['a malformed one', 'short-secret', 40125],
    ['a well-formed wrong one', 'a'.repeat(32), 40001],
  ])('✖ a wrong AppSecret: %s (%i)', async (_what, secret, errcode) => {
    const run = await doctor({ WECHAT_APPSECRET: secret });
    expect(run.code).toBe(1);
    expect(line(run, /AppSecret/)).toBe(
      `✖ ${APP_ID}: wrong AppSecret (${errcode}) — fix: copy or reset the AppSecret in 公众号后台 → 设置与开发 → 基本配置 and set WECHAT_APPSECRET`,
    );
    expect(run.output).not.toContain(secret);
  });

  it("✖ 40164 names this server's IP as WeChat saw it", async () => {
    const run = await doctor({}, [], { ipWhitelist: ['203.0.113.7'] });
    expect(run.code).toBe(1);
    expect(line(run, /\(40164\)/)).toBe(
      `✖ ${APP_ID}: this server's IP 127.0.0.1 is not on the account's IP whitelist (40164) — fix: add 127.0.0.1 to the IP whitelist (公众号后台 → 设置与开发 → 基本配置 → IP白名单)`,
    );
    // Without a token the allow-list cannot be compared, and says so.
    expect(line(run, /getcallbackip|ALLOWLIST/)).toMatch(/^✔ no WECHAT_IP_ALLOWLIST/);
  });

  it('✖ a WeChat API that does not answer', async () => {
    const port = await findFreePort();
    const run = await doctor({ WECHAT_API_BASE_URL: `http://127.0.0.1:${port}`, WECHAT_API_TIMEOUT_MS: '1000' });
    expect(run.code).toBe(1);
    expect(line(run, /AppSecret|did not answer/)).toMatch(/^✖ .*did not answer .*ECONNREFUSED/);
  });

  it('the AES key against the mode: compatible, safe, a previous key that is the current one', async () => {
    const compatible = await doctor({ WECHAT_ENCODING_AES_KEY: AES_KEY });
    expect(line(compatible, /mode/)).toBe(
      `✔ ${APP_ID}: compatible or safe mode: EncodingAESKey well-formed, plaintext pushes accepted too`,
    );
    const safe = await doctor({
      WECHAT_ENCODING_AES_KEY: AES_KEY,
      WECHAT_REQUIRE_ENCRYPTION: 'true',
      WECHAT_PREVIOUS_ENCODING_AES_KEY: AES_KEY,
    });
    expect(safe.code).toBe(0);
    expect(line(safe, /PREVIOUS/)).toMatch(/^⚠ .*WECHAT_PREVIOUS_ENCODING_AES_KEY is the current key — fix:/);
    expect(line(safe, /safe mode/)).toBe(
      `✔ ${APP_ID}: safe mode: EncodingAESKey well-formed, plaintext pushes refused`,
    );
    expect(safe.output).not.toContain(AES_KEY);
    const malformed = await doctor({ WECHAT_ENCODING_AES_KEY: 'not-43-characters' });
    expect(malformed.code).toBe(1);
    expect(line(malformed, /configuration invalid/)).toMatch(/WECHAT_ENCODING_AES_KEY/);
    expect(malformed.output).not.toContain('not-43-characters');
  });
});

describe('doctor on the clock', () => {
  it("⚠ a minute off WeChat's Date header; ✖ past TIMESTAMP_SKEW_SECONDS", async () => {
    const minute = await doctor({}, [], { now: () => Date.now() + 60_000 });
    expect(minute.code).toBe(0);
    expect(line(minute, /clock/)).toMatch(/^⚠ clock (59|60|61) s behind WeChat's — fix: sync the clock \(NTP\)/);
    const far = await doctor({}, [], { now: () => Date.now() - 600_000 });
    expect(far.code).toBe(1);
    expect(line(far, /clock/)).toMatch(
      /^✖ clock (599|600|601) s ahead of WeChat's: the gateway refuses every push as stale \(TIMESTAMP_SKEW_SECONDS=300\)/,
    );
  });
});

describe('doctor --url: a signed handshake through the public URL', () => {
  let gateway: TsProcess;
  let gatewayUrl: string;
  beforeAll(async () => {
    const port = await findFreePort();
    gateway = startTsProcess('apps/gateway/src/main.ts', {
      env: {
        PATH: process.env['PATH'],
        REDIS_URL: inject('redisUrl'),
        WECHAT_APPID: APP_ID,
        WECHAT_TOKEN: TOKEN,
        WXQ_QUEUE_PREFIX: `{test-${randomUUID()}}`,
        HOST: '127.0.0.1',
        PORT: String(port),
        LOG_LEVEL: 'info',
      },
    });
    await gateway.waitForLine((l) => l.includes('gateway listening'), { timeoutMs: 20_000, message: 'gateway up' });
    gatewayUrl = `http://127.0.0.1:${port}`;
  });
  afterAll(async () => {
    await gateway.stop();
  });

  it('✔ when the gateway echoes (⚠ for a port WeChat does not call); ✖ 401 with another Token', async () => {
    const run = await doctor({}, ['--url', `${gatewayUrl}/wechat`]);
    expect(run.code).toBe(0);
    expect(line(run, /handshake/)).toBe(
      `✔ ${gatewayUrl}/wechat: a signed handshake for ${APP_ID} echoes (proxy, TLS, path and Token agree)`,
    );
    expect(line(run, /ports 80 and 443/)).toMatch(/^⚠ /);
    const perAccount = await doctor({}, ['--url', `${gatewayUrl}/wechat/${APP_ID}`]);
    expect(line(perAccount, /handshake/)).toMatch(/^✔ /);

    const wrongToken = await doctor({ WECHAT_TOKEN: 'SomeOtherToken1' }, ['--url', `${gatewayUrl}/wechat`]);
    expect(wrongToken.code).toBe(1);
    expect(line(wrongToken, /\(401\)/)).toBe(
      `✖ ${gatewayUrl}/wechat: the gateway refused the signature (401) — fix: WECHAT_TOKEN must be the Token set in the console, on gateways and here`,
    );
  });

  it('✖ a path the gateway does not serve, a port nothing listens on, and URLs that are not URLs', async () => {
    expect(line(await doctor({}, ['--url', `${gatewayUrl}/callback`]), /\b404: /)).toMatch(
      /^✖ .*404: the proxy does not send this path/,
    );
    const closed = `http://127.0.0.1:${await findFreePort()}/wechat`;
    expect(line(await doctor({}, ['--url', closed]), /no answer/)).toMatch(/^✖ .*no answer \(ECONNREFUSED\)/);
    for (const bad of ['not a url', 'ftp://example.com/wechat', `http://${'x'.repeat(100_000)}`]) {
      const run = await doctor({}, ['--url', bad]);
      expect(run.code).toBe(1);
      expect(run.lines.some((l) => l.startsWith('✖ '))).toBe(true);
    }
  });
});

describe('doctor: the allow-list against getcallbackip', () => {
  it('✔ when it covers every address WeChat pushes from; ✖ naming the ones it misses', async () => {
    const ips = { callbackIps: ['106.55.206.146', '101.226.103.0/25'] };
    const covered = await doctor({ WECHAT_IP_ALLOWLIST: '106.55.206.146,101.226.103.0/24' }, [], ips);
    expect(line(covered, /ALLOWLIST/)).toBe("✔ WECHAT_IP_ALLOWLIST covers all 2 of WeChat's push addresses");
    const auto = await doctor({ WECHAT_IP_ALLOWLIST: 'auto' }, [], ips);
    expect(line(auto, /ALLOWLIST/)).toBe(
      '✔ WECHAT_IP_ALLOWLIST=auto: the gateways refresh it from getcallbackip, which lists 2 addresses now',
    );
    const partial = await doctor({ WECHAT_IP_ALLOWLIST: '101.226.103.0/26' }, [], ips);
    expect(partial.code).toBe(1);
    expect(line(partial, /ALLOWLIST/)).toBe(
      "✖ WECHAT_IP_ALLOWLIST misses 2 of WeChat's 2 push addresses (106.55.206.146, 101.226.103.0/25): their pushes get 403 — fix: refresh the list from getcallbackip, set WECHAT_IP_ALLOWLIST=auto, or unset it",
    );
  });
});

describe('doctor: bad input', () => {
  it('✖ an invalid configuration, naming every variable and no value', async () => {
    const run = await doctor({ WECHAT_APPID: 'nope', WECHAT_TOKEN: 'x', WECHAT_APPSECRET: 'hunter2' });
    expect(run.code).toBe(1);
    expect(run.lines).toHaveLength(2);
    expect(run.lines[0]).toMatch(/^✖ worker configuration invalid: WECHAT_APPID: /);
    expect(run.lines[1]).toMatch(/^✖ gateway configuration invalid: .*WECHAT_APPID.*WECHAT_TOKEN/);
    expect(run.output).not.toContain('hunter2');
  });

  it('an unknown option exits 2; --help exits 0', async () => {
    expect((await doctor({}, ['--bogus'])).code).toBe(2);
    const help = await doctor({}, ['--help']);
    expect(help.code).toBe(0);
    expect(help.output).toContain('--url <url>');
  });
});
