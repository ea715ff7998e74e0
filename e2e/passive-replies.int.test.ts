import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadGatewayConfig, loadWorkerConfig } from '@wxq/config';
import { type RunningGateway, startGateway } from '@wxq/gateway';
import { defineHandlers } from '@wxq/handlers';
import { createLogger } from '@wxq/logging';
import {
  type SignedPush,
  findFreePort,
  signEncryptedPush,
  parsePrometheusText,
  sampleValue,
  signPlaintextPush,
  startTsProcess,
  waitFor,
} from '@wxq/testing';
import { inboundJobId } from '@wxq/queue';
import {
  type InboundMessage,
  type MessageCrypto,
  buildInboundXml,
  computeDedupKey,
  createMessageCrypto,
  parseXml,
  verifyMsgSignature,
} from '@wxq/wechat';
import { Redis } from 'ioredis';
import { type WechatApiSimulator, createMessage, createSimCli, startWechatApiSimulator } from '@wxq/wechat-sim';
import { type RunningWorker, startWorker } from '@wxq/worker';
import { pino } from 'pino';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { findNginx, startNginx } from './nginx.js';

// Passive replies end to end (docs/passive-replies.md): a real gateway and worker on a real Redis,
// the simulator as WeChat's API, pushes signed as WeChat signs them in each encryption mode.

const APP_ID = 'wx0123456789abcdef';
const APP_SECRET = 'passivesecret0123456789abcdef012';
const TOKEN = 'passiveToken1';
const AES_KEY = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';
const GH = 'gh_0123456789ab';
const ADMIN_PASSWORD = 'passiveAdminPassword1';
const account = { appId: APP_ID, token: TOKEN, encodingAESKey: AES_KEY };
const crypto = createMessageCrypto({ appId: APP_ID, encodingAESKey: AES_KEY });

const handlers = defineHandlers((r) =>
  r
    .text(/^slow \d+$/, async (msg, ctx) => {
      await sleep(Number(msg.Content.split(' ')[1]));
      ctx.reply.text(`done ${msg.Content}`);
    })
    .text('two', (_msg, ctx) => {
      ctx.reply.text('first');
      ctx.reply.text('second');
    })
    .text('none', () => undefined)
    .text('menu', (_msg, ctx) => {
      ctx.reply.msgmenu({ list: [{ id: '1', content: 'yes' }] });
    })
    .fallback((msg, ctx) => {
      ctx.reply.text(`echo ${'Content' in msg && typeof msg.Content === 'string' ? msg.Content : msg.MsgType}`);
    }),
);

type PushMode = 'plaintext' | 'compatible' | 'safe';

/** Where a push is delivered: a gateway's public listener, or a proxy in front. */
type Target = { readonly publicPort: number } | { readonly url: string };

interface Rig {
  readonly sim: WechatApiSimulator;
  readonly gateways: RunningGateway[];
  readonly worker: RunningWorker;
  readonly prefix: string;
  /** The gateways' environment, for one started as its own process. */
  readonly gatewayEnv: Readonly<Record<string, string>>;
}

const quiet = () => createLogger({ level: 'warn', name: 'e2e' }, pino.destination('/dev/null'));
const running: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of running.splice(0).reverse()) await stop();
});

interface RigOptions {
  readonly waitMs?: number;
  readonly gateways?: number;
  /** The gateways' WECHAT_PREVIOUS_ENCODING_AES_KEY (a key rotation, docs/wechat-protocol.md §3.7). */
  readonly previousKey?: string;
  /** The worker's WXQ_PENDING_REPLIES_MAX. */
  readonly pendingMax?: number;
}

async function startRig(replyMode: string, options: RigOptions = {}): Promise<Rig> {
  const redisUrl = inject('redisUrl');
  const prefix = `{e2e-${randomUUID()}}`;
  const sim = await startWechatApiSimulator({ accounts: [{ appId: APP_ID, appSecret: APP_SECRET }] });
  running.push(() => sim.stop());
  const common = {
    REDIS_URL: redisUrl,
    WECHAT_APPID: APP_ID,
    WXQ_QUEUE_PREFIX: prefix,
    WXQ_REPLY_MODE: replyMode,
    LOG_LEVEL: 'warn',
  };
  const gatewayEnv = {
    ...common,
    WECHAT_TOKEN: TOKEN,
    WECHAT_ENCODING_AES_KEY: AES_KEY,
    HOST: '127.0.0.1',
    PORT: '0',
    ADMIN_HOST: '127.0.0.1',
    ADMIN_PORT: '0',
    ADMIN_PASSWORD: ADMIN_PASSWORD,
    PASSIVE_WAIT_MS: String(options.waitMs ?? 2_000),
    ...(options.previousKey === undefined ? {} : { WECHAT_PREVIOUS_ENCODING_AES_KEY: options.previousKey }),
  };
  const gatewayConfig = loadGatewayConfig(gatewayEnv);
  const gateways: RunningGateway[] = [];
  for (let i = 0; i < (options.gateways ?? 1); i += 1) {
    const gateway = await startGateway(gatewayConfig, { logger: quiet() });
    running.push(() => gateway.stop());
    gateways.push(gateway);
  }
  const worker = startWorker(
    loadWorkerConfig({
      ...common,
      WECHAT_APPSECRET: APP_SECRET,
      WECHAT_API_BASE_URL: sim.url,
      ...(options.pendingMax === undefined ? {} : { WXQ_PENDING_REPLIES_MAX: String(options.pendingMax) }),
    }),
    { logger: quiet(), handlers },
  );
  running.push(() => worker.stop());
  return { sim, gateways, worker, gatewayEnv, prefix };
}

/** A user's text push, signed in `mode`; each call is a fresh delivery (new nonce and timestamp). */
function pushOf(xml: string, mode: PushMode): SignedPush {
  return mode === 'plaintext' ? signPlaintextPush(xml, { account }) : signEncryptedPush(xml, mode, { account });
}

interface Answer {
  readonly status: number;
  readonly body: string;
  /** The reply XML's fields, decrypted and its MsgSignature checked when the push was encrypted. */
  readonly reply: Record<string, unknown> | undefined;
}

/**
 * POSTs like WeChat: gives up (no answer) after `giveUpMs`, as WeChat does at 5 s. An encrypted
 * reply is opened with `opener` (the account's current key unless told otherwise).
 */
async function deliver(
  gateway: Target,
  push: SignedPush,
  giveUpMs = 5_000,
  opener: MessageCrypto = crypto,
): Promise<Answer | 'no answer'> {
  const base = 'url' in gateway ? gateway.url : `http://127.0.0.1:${String(gateway.publicPort)}`;
  const url = `${base}/wechat?${push.query}`;
  let response: Response;
  try {
    response = await fetch(url, { method: 'POST', body: push.body, signal: AbortSignal.timeout(giveUpMs) });
  } catch (err) {
    if (err instanceof Error && err.name === 'TimeoutError') return 'no answer';
    throw err;
  }
  const body = await response.text();
  return {
    status: response.status,
    body,
    reply: body.startsWith('<xml>') ? openReply(push, body, opener) : undefined,
  };
}

function openReply(push: SignedPush, body: string, opener: MessageCrypto): Record<string, unknown> {
  const outer = parseXml(body);
  const encrypt = outer['Encrypt'];
  if (typeof encrypt !== 'string') return outer;
  const query = new URLSearchParams(push.query);
  // The envelope echoes the push's nonce and is signed with the account's Token (docs/wechat-protocol.md §3.5).
  expect(outer['Nonce']).toBe(query.get('nonce'));
  const field = (name: string) => {
    const value = outer[name];
    if (typeof value !== 'string') throw new Error(`the envelope has no ${name}`);
    return value;
  };
  const signed = verifyMsgSignature({
    token: TOKEN,
    timestamp: field('TimeStamp'),
    nonce: field('Nonce'),
    encrypt,
    msgSignature: field('MsgSignature'),
  });
  expect(signed).toBe(true);
  return parseXml(opener.decrypt(encrypt).message);
}

async function withRedis<T>(use: (redis: Redis) => Promise<T>): Promise<T> {
  const redis = new Redis(inject('redisUrl'));
  try {
    return await use(redis);
  } finally {
    await redis.quit();
  }
}

const counter = (prefix: string, name: string) => withRedis((r) => r.hget(`${prefix}:counters:${APP_ID}`, name));

function gatewayOf(gateways: readonly RunningGateway[], index: number): RunningGateway {
  const gateway = gateways[index];
  if (gateway === undefined) throw new Error(`no gateway ${String(index)} in this rig`);
  return gateway;
}

function answered(answer: Answer | 'no answer'): Answer {
  if (answer === 'no answer') throw new Error('expected an answer, got none');
  return answer;
}

const sendsOf = (sim: WechatApiSimulator, user: string) =>
  sim.sends.filter((s) => s.message.touser === user).map((s) => (s.message['text'] as { content: string }).content);

describe.each(['plaintext', 'compatible', 'safe'] as const)('a %s push', (mode) => {
  it('customer-service: answered success, the reply goes by the API', async () => {
    const { sim, gateways } = await startRig('customer-service');
    const xml = buildInboundXml(createMessage.text('hi'));
    const answer = answered(await deliver(gatewayOf(gateways, 0), pushOf(xml, mode)));
    expect(answer).toMatchObject({ status: 200, body: 'success' });
    await sim.waitForSends(1, 10_000);
    expect(sim.sends[0]?.message['text']).toEqual({ content: 'echo hi' });
  });

  it('passive: answered with the first reply (encrypted as the push was); later ones go by the API, once', async () => {
    const { sim, gateways } = await startRig('passive');
    const message = createMessage.text('two');
    const answer = answered(await deliver(gatewayOf(gateways, 0), pushOf(buildInboundXml(message), mode)));
    expect(answer.status).toBe(200);
    if (mode !== 'plaintext') expect(parseXml(answer.body)).toHaveProperty('Encrypt');
    expect(answer.reply).toMatchObject({
      ToUserName: message.FromUserName,
      FromUserName: GH,
      MsgType: 'text',
      Content: 'first',
    });
    // The second waits in the user's lane until the first is settled: once it is sent, the first
    // was answered passively and not sent by the API as well.
    await waitFor(() => sendsOf(sim, message.FromUserName).length >= 1, { message: 'the second reply sent' });
    expect(sendsOf(sim, message.FromUserName)).toEqual(['second']);
  });

  it('passive-only: answered with the reply; the API is never called to send', async () => {
    const { sim, gateways } = await startRig('passive-only');
    const message = createMessage.text('hello');
    const answer = answered(await deliver(gatewayOf(gateways, 0), pushOf(buildInboundXml(message), mode)));
    expect(answer.reply).toMatchObject({ ToUserName: message.FromUserName, Content: 'echo hello' });
    expect(sim.sends).toEqual([]);
  });
});

describe.each(['passive', 'passive-only'] as const)(
  '%s, during a key rotation (docs/wechat-protocol.md §3.7)',
  (replyMode) => {
    const PREVIOUS_KEY = 'ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210zyxwvut';
    const previous = createMessageCrypto({ appId: APP_ID, encodingAESKey: PREVIOUS_KEY });
    const previousAccount = { ...account, encodingAESKey: PREVIOUS_KEY };
    /** The answer's `<Encrypt>`, to try each key on. */
    const sealed = (answer: Answer) => {
      const encrypt = parseXml(answer.body)['Encrypt'];
      if (typeof encrypt !== 'string') throw new Error(`not an encrypted reply: ${answer.body}`);
      return encrypt;
    };

    it('a push sealed with the previous key is answered sealed with the previous key, not the current one', async () => {
      const { gateways } = await startRig(replyMode, { previousKey: PREVIOUS_KEY });
      const xml = buildInboundXml(createMessage.text('rotated'));
      const push = signEncryptedPush(xml, 'safe', { account: previousAccount });
      const answer = answered(await deliver(gatewayOf(gateways, 0), push, 5_000, previous));
      expect(answer.reply).toMatchObject({ MsgType: 'text', Content: 'echo rotated' });
      expect(() => crypto.decrypt(sealed(answer))).toThrow();
    });

    it('a push sealed with the current key is answered sealed with the current key', async () => {
      const { gateways } = await startRig(replyMode, { previousKey: PREVIOUS_KEY });
      const answer = answered(
        await deliver(gatewayOf(gateways, 0), pushOf(buildInboundXml(createMessage.text('current')), 'compatible')),
      );
      expect(answer.reply).toMatchObject({ MsgType: 'text', Content: 'echo current' });
      expect(() => previous.decrypt(sealed(answer))).toThrow();
    });
  },
);

describe('passive', () => {
  it('a handler slower than the wait: success at the deadline, the reply by the API', async () => {
    const { sim, gateways } = await startRig('passive', { waitMs: 300 });
    const message = createMessage.text('slow 900');
    const started = performance.now();
    const answer = answered(await deliver(gatewayOf(gateways, 0), pushOf(buildInboundXml(message), 'safe')));
    expect(answer.body).toBe('success');
    expect(performance.now() - started).toBeLessThan(900);
    await waitFor(() => sendsOf(sim, message.FromUserName).length === 1, { message: 'the reply sent by the API' });
    expect(sendsOf(sim, message.FromUserName)).toEqual(['done slow 900']);
  });

  it('no reply, or one without a passive form: success at once, a menu by the API', async () => {
    const { sim, gateways } = await startRig('passive', { waitMs: 3_000 });
    const started = performance.now();
    expect(
      answered(await deliver(gatewayOf(gateways, 0), pushOf(buildInboundXml(createMessage.text('none')), 'plaintext')))
        .body,
    ).toBe('success');
    const menu = createMessage.text('menu');
    expect(answered(await deliver(gatewayOf(gateways, 0), pushOf(buildInboundXml(menu), 'plaintext'))).body).toBe(
      'success',
    );
    expect(performance.now() - started).toBeLessThan(2_000);
    await sim.waitForSends(1, 10_000);
    expect(sim.sends[0]?.message).toMatchObject({ touser: menu.FromUserName, msgtype: 'msgmenu' });
  });

  it('a retry of an answered push answers the same reply and runs nothing again', async () => {
    const { sim, gateways, prefix } = await startRig('passive');
    const xml = buildInboundXml(createMessage.text('once'));
    const first = answered(await deliver(gatewayOf(gateways, 0), pushOf(xml, 'plaintext')));
    const retry = answered(await deliver(gatewayOf(gateways, 0), pushOf(xml, 'plaintext')));
    expect(first.reply).toMatchObject({ Content: 'echo once' });
    expect(retry.reply).toMatchObject({ Content: 'echo once' });
    await waitFor(async () => (await counter(prefix, 'passive_answered')) === '1', {
      message: 'the reply job settled as answered',
    });
    expect(sim.sends).toEqual([]);
  });
});

describe('passive-only', () => {
  it('holds a delivery whose reply is late; the retry, on another gateway, answers with it', async () => {
    const { sim, gateways } = await startRig('passive-only', { waitMs: 300, gateways: 2 });
    const xml = buildInboundXml(createMessage.text('slow 700'));
    expect(await deliver(gatewayOf(gateways, 0), pushOf(xml, 'safe'), 1_000)).toBe('no answer');
    const retry = answered(await deliver(gatewayOf(gateways, 1), pushOf(xml, 'safe')));
    expect(retry.reply).toMatchObject({ Content: 'done slow 700' });
    expect(sim.sends).toEqual([]);
  });

  it('the 3rd delivery gets success; the reply waits for the user next push, whose own reply waits behind it', async () => {
    const { sim, gateways, prefix } = await startRig('passive-only', { waitMs: 200 });
    const message = createMessage.text('slow 1500');
    const xml = buildInboundXml(message);
    const gateway = gatewayOf(gateways, 0);
    expect(await deliver(gateway, pushOf(xml, 'plaintext'), 400)).toBe('no answer');
    expect(await deliver(gateway, pushOf(xml, 'plaintext'), 400)).toBe('no answer');
    const third = answered(await deliver(gateway, pushOf(xml, 'plaintext'), 400));
    expect(third.body).toBe('success');
    await waitFor(
      async () => (await withRedis((r) => r.llen(`${prefix}:outbox:${APP_ID}:${message.FromUserName}`))) === 1,
      {
        message: 'the late reply pending',
      },
    );
    const user = { openid: message.FromUserName };
    const next = answered(await deliver(gateway, pushOf(buildInboundXml(createMessage.text('b', user)), 'plaintext')));
    expect(next.reply).toMatchObject({ Content: 'done slow 1500' });
    const after = answered(await deliver(gateway, pushOf(buildInboundXml(createMessage.text('c', user)), 'plaintext')));
    expect(after.reply).toMatchObject({ Content: 'echo b' });
    expect(sim.sends).toEqual([]);
  });

  it('a user outbox keeps WXQ_PENDING_REPLIES_MAX replies: over it the oldest is dropped, and counted', async () => {
    const { gateways, prefix } = await startRig('passive-only', { pendingMax: 1 });
    const answer = answered(
      await deliver(gatewayOf(gateways, 0), pushOf(buildInboundXml(createMessage.text('two')), 'plaintext')),
    );
    // 'first' and 'second' went in together; only the newest was kept to answer with.
    expect(answer.reply).toMatchObject({ Content: 'second' });
    expect(await counter(prefix, 'pending_overflow')).toBe('1');
  });

  it('a handled push with nothing to say is answered success at once', async () => {
    const { gateways } = await startRig('passive-only', { waitMs: 3_000 });
    const started = performance.now();
    const answer = answered(
      await deliver(gatewayOf(gateways, 0), pushOf(buildInboundXml(createMessage.text('none')), 'plaintext')),
    );
    expect(answer.body).toBe('success');
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});

describe('a gateway killed while it holds a push', () => {
  /** `npm run gateway` as its own process, on the rig's queues. */
  async function gatewayProcess(rig: Rig) {
    const port = await findFreePort();
    const child = startTsProcess('apps/gateway/src/main.ts', {
      env: { ...process.env, ...rig.gatewayEnv, PORT: String(port) },
      echoStderr: true,
    });
    running.push(() => child.stop({ signal: 'SIGKILL' }).then(() => undefined));
    await waitFor(async () => (await fetch(`http://127.0.0.1:${String(port)}/readyz`).catch(() => undefined))?.ok, {
      timeoutMs: 30_000,
      message: 'the gateway process ready',
    });
    return { child, target: { publicPort: port } };
  }

  /** Once the push is in Redis (and not before: a push killed earlier was never acknowledged). */
  async function untilDurable(rig: Rig, message: InboundMessage) {
    const key = `${rig.prefix}:inbound:${inboundJobId(APP_ID, computeDedupKey(message))}`;
    await waitFor(async () => (await withRedis((r) => r.exists(key))) === 1, { message: 'the push enqueued' });
  }

  it('passive-only: the retry, on another gateway, answers with the reply', async () => {
    const rig = await startRig('passive-only', { waitMs: 2_000 });
    const { child, target } = await gatewayProcess(rig);
    const message = createMessage.text('slow 500');
    const xml = buildInboundXml(message);
    const first = deliver(target, pushOf(xml, 'safe'));
    // Killed while the push waits for its reply: WeChat sees the connection drop and delivers again.
    await untilDurable(rig, message);
    child.signal('SIGKILL');
    await expect(first).rejects.toThrow();
    const retry = answered(await deliver(gatewayOf(rig.gateways, 0), pushOf(xml, 'safe')));
    expect(retry.reply).toMatchObject({ Content: 'done slow 500' });
    expect(rig.sim.sends).toEqual([]);
  });

  it('passive: with no retry, the reply nobody took goes by the API', async () => {
    const rig = await startRig('passive', { waitMs: 3_000 });
    const { child, target } = await gatewayProcess(rig);
    const message = createMessage.text('slow 300');
    const first = deliver(target, pushOf(buildInboundXml(message), 'plaintext'));
    await untilDurable(rig, message);
    child.signal('SIGKILL');
    await expect(first).rejects.toThrow();
    // Offered to the dead gateway, taken by nobody: sent once WeChat's last delivery could have come.
    await waitFor(() => sendsOf(rig.sim, message.FromUserName).length > 0, {
      timeoutMs: 30_000,
      message: 'the reply sent by the API',
    });
    expect(sendsOf(rig.sim, message.FromUserName)).toEqual(['done slow 300']);
  }, 40_000);
});

const nginxBinary = findNginx();
// CI installs nginx (.ci/run); a machine without it skips these and says so.
const describeWithNginx = nginxBinary === undefined && process.env['CI'] === undefined ? describe.skip : describe;
if (nginxBinary === undefined) console.warn('[e2e] nginx is not installed: passive replies behind nginx are skipped');

describeWithNginx('behind nginx running deploy/nginx.conf', () => {
  async function behindNginx(rig: Rig): Promise<Target> {
    if (nginxBinary === undefined) throw new Error('nginx is required in CI: apt-get install nginx');
    const dir = await mkdtemp(join(tmpdir(), 'wxq-nginx-passive-'));
    const gateway = gatewayOf(rig.gateways, 0);
    const nginx = await startNginx(nginxBinary, dir, await findFreePort(), [`127.0.0.1:${String(gateway.publicPort)}`]);
    running.push(async () => {
      await nginx.stop();
      await rm(dir, { recursive: true, force: true });
    });
    return { url: nginx.url };
  }

  it('passive: the answer is the reply, encrypted', async () => {
    const rig = await startRig('passive');
    const proxy = await behindNginx(rig);
    const answer = answered(await deliver(proxy, pushOf(buildInboundXml(createMessage.text('via nginx')), 'safe')));
    expect(answer.reply).toMatchObject({ Content: 'echo via nginx' });
  });

  it('passive-only: a held delivery gets no answer until WeChat gives up at 5 s (no 504), the retry the reply', async () => {
    const rig = await startRig('passive-only', { waitMs: 300 });
    const proxy = await behindNginx(rig);
    const xml = buildInboundXml(createMessage.text('slow 1000'));
    expect(await deliver(proxy, pushOf(xml, 'safe'), 5_500)).toBe('no answer');
    const retry = answered(await deliver(proxy, pushOf(xml, 'safe')));
    expect(retry.reply).toMatchObject({ Content: 'done slow 1000' });
  });
});

describe('npm run sim against a passive gateway', () => {
  async function runSim(rig: Rig, args: readonly string[]): Promise<string[]> {
    const out: string[] = [];
    const state = {
      gatewayUrl: `http://127.0.0.1:${String(gatewayOf(rig.gateways, 0).publicPort)}`,
      simulatorUrl: rig.sim.url,
      account: { appId: APP_ID, token: TOKEN, encodingAESKey: AES_KEY },
    };
    await createSimCli(state, { out: (line) => out.push(line), err: (line) => out.push(line) }).parseAsync(args, {
      from: 'user',
    });
    return out;
  }

  it('send prints the decrypted reply XML', async () => {
    const rig = await startRig('passive');
    const out = await runSim(rig, ['send', 'text', 'hi']);
    expect(out).toContainEqual('POST /wechat (safe) -> 200 passive reply');
    const reply = out.find((line) => line.startsWith('passive reply -> '));
    expect(reply).toMatch(/^passive reply -> <xml><ToUserName>.*<Content><!\[CDATA\[echo hi\]\]><\/Content><\/xml>$/);
  });

  it('--retry plays WeChat: no answer in time, delivered again with a fresh nonce, answered', async () => {
    const rig = await startRig('passive-only', { waitMs: 300 });
    const out = await runSim(rig, ['send', 'text', 'slow 800', '--retry', '--patience', '1000']);
    expect(out.filter((line) => line.startsWith('POST'))).toEqual([
      'POST /wechat (safe) -> no answer within 1000 ms',
      'POST /wechat (safe) -> 200 passive reply',
    ]);
    expect(out.find((line) => line.startsWith('passive reply -> '))).toContain('done slow 800');
  });
});

describe('metrics', () => {
  async function scrape(gateway: RunningGateway) {
    const response = await fetch(`http://127.0.0.1:${String(gateway.adminPort)}/metrics`, {
      headers: { authorization: `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}` },
    });
    return parsePrometheusText(await response.text());
  }

  it('tell a passive answer and a held push from an ack, and keep the waits out of the slow count', async () => {
    const rig = await startRig('passive-only', { waitMs: 300 });
    const gateway = gatewayOf(rig.gateways, 0);
    answered(await deliver(gateway, pushOf(buildInboundXml(createMessage.text('quick')), 'plaintext')));
    const xml = buildInboundXml(createMessage.text('slow 600'));
    expect(await deliver(gateway, pushOf(xml, 'plaintext'), 1_000)).toBe('no answer');
    answered(await deliver(gateway, pushOf(xml, 'plaintext')));
    const samples = await scrape(gateway);
    const count = (answer: string) =>
      sampleValue(samples, 'wxq_gateway_push_answer_seconds_count', { account: APP_ID, answer });
    expect(count('passive_reply')).toBe(2);
    expect(sampleValue(samples, 'wxq_gateway_pushes_held_total', { account: APP_ID })).toBe(1);
    expect(sampleValue(samples, 'wxq_gateway_push_answers_slow_total', { account: APP_ID })).toBe(0);
  });
});
