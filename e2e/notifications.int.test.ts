// Notifications end to end (docs/notifications.md): a service queues template messages and
// subscribe notifications (@wxq/notify), the worker sends them to the WeChat API simulator, and
// the simulator pushes its delivery reports back through the real gateway, which the worker
// turns into `delivered` or `failed`. Consent comes from subscribe popups pushed by "users".
import { loadGatewayConfig, loadWorkerConfig } from '@wxq/config';
import { type RunningGateway, startGateway } from '@wxq/gateway';
import { demoHandlers } from '@wxq/handlers';
import { createLogger } from '@wxq/logging';
import { type Notifier, createNotifier } from '@wxq/notify';
import { type Producer, QUEUES, createLanes, createProducer } from '@wxq/queue';
import { createKeys, createQueueShards } from '@wxq/redis';
import { type RedisServer, createLogSink, startRedisServer, waitFor } from '@wxq/testing';
import {
  type SimulatorRequest,
  type WechatApiSimulator,
  buildPush,
  createMessage,
  sendPush,
  startWechatApiSimulator,
} from '@wxq/wechat-sim';
import { type RunningWorker, startWorker } from '@wxq/worker';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const APP_ID = 'wx5e5e5e5e5e5e5e5e';
const APP_SECRET = 'notifysecret0123456789abcdef0123';
const TOKEN = 'notifyToken42';
const PREFIX = '{notifications}';
const TEMPLATE = 'demo_template';
const ONCE = 'demo_subscribe_once';
const DATA_SECRET = 'data-value-7f3a9c';

let server: RedisServer;
let redis: Redis;
let sim: WechatApiSimulator;
let gateway: RunningGateway;
let worker: RunningWorker;
let producer: Producer<'notify'>;
let outbound: Producer<'outbound'>;
let notifier: Notifier;
let notifyQueue: Queue;
const logs = createLogSink();

beforeAll(async () => {
  server = await startRedisServer();
  redis = new Redis(server.url, { maxRetriesPerRequest: null });
  sim = await startWechatApiSimulator({
    accounts: [{ appId: APP_ID, appSecret: APP_SECRET }],
    reportDelayMs: 0,
    dailyTemplateQuota: 6,
    reportStatus: (send) => (send.openId === 'oBlocked' ? 'failed:user block' : 'success'),
  });
  const logger = createLogger({ level: 'info', name: 'notifications-e2e' }, logs.stream);
  const env = { WXQ_QUEUE_PREFIX: PREFIX, WECHAT_APPID: APP_ID, LOG_LEVEL: 'info' };
  gateway = await startGateway(
    loadGatewayConfig({ ...env, REDIS_URL: server.url, PORT: '0', HOST: '127.0.0.1', WECHAT_TOKEN: TOKEN }),
    { logger },
  );
  sim.setCallback(APP_ID, { url: `http://127.0.0.1:${gateway.publicPort}/wechat`, token: TOKEN });
  worker = startWorker(
    loadWorkerConfig({
      ...env,
      REDIS_URL: server.url,
      WECHAT_APPSECRET: APP_SECRET,
      WECHAT_API_BASE_URL: sim.url,
      ADMIN_PORT: '0',
    }),
    { logger, handlers: demoHandlers },
  );
  producer = createProducer('notify', { connection: redis, prefix: PREFIX, settings: {} });
  outbound = createProducer('outbound', { connection: redis, prefix: PREFIX, settings: {} });
  const shards = createQueueShards(PREFIX, 1);
  notifier = createNotifier({
    redis,
    keys: shards.keys,
    producer,
    customerService: {
      shards,
      outbound: shards.map(() => outbound),
      lanes: shards.map(() => createLanes(redis, outbound.queue)),
    },
    accounts: [APP_ID],
  });
  notifyQueue = new Queue(QUEUES.notify.name, { connection: redis, prefix: PREFIX });
}, 30_000);

afterAll(async () => {
  await worker.stop();
  await gateway.stop();
  await producer.close();
  await outbound.close();
  await notifyQueue.close();
  await redis.quit();
  await sim.stop();
  await server.stop();
});

const template = (to: string, value = DATA_SECRET) => ({
  to,
  template: { id: TEMPLATE, data: { thing1: { value } }, url: 'https://example.com/order/42' },
});
const subscribe = (to: string, id = ONCE) => ({ to, subscribe: { id, data: { thing1: { value: 'Tomorrow 10:00' } } } });

async function settled(id: string, status: string) {
  return waitFor(
    async () => {
      const record = await notifier.get(id);
      return record?.status === status ? record : undefined;
    },
    { message: `notification ${id} to be ${status}`, timeoutMs: 20_000 },
  );
}

/** A user accepts (or rejects) subscribe templates in a popup: WeChat pushes it, and knows it. */
async function popup(openid: string, choices: readonly { templateId: string; status: 'accept' | 'reject' }[]) {
  const message = createMessage.subscribeMsgPopup(
    choices.map((c) => ({ templateId: c.templateId, status: c.status, scene: '2' })),
    { openid },
  );
  const built = buildPush({ account: { appId: APP_ID, token: TOKEN }, mode: 'plaintext', message });
  expect(await sendPush(`http://127.0.0.1:${gateway.publicPort}`, '/wechat', built, { simulator: sim })).toEqual({
    status: 200,
    body: 'success',
  });
}

/** A user writes `text`; answers once the gateway acked it. */
async function userWrites(openid: string, text: string) {
  const message = createMessage.text(text, { openid });
  const built = buildPush({ account: { appId: APP_ID, token: TOKEN }, mode: 'plaintext', message });
  expect(await sendPush(`http://127.0.0.1:${gateway.publicPort}`, '/wechat', built, { simulator: sim })).toEqual({
    status: 200,
    body: 'success',
  });
}

/** The texts the simulator took for `openid` through the customer-service API, in order. */
const textsTo = (openid: string) =>
  sim.sends.flatMap(({ message }) => {
    const text = message['text'] as { content?: unknown } | undefined;
    return message.touser === openid && typeof text?.content === 'string' ? [text.content] : [];
  });

// First in the file: the simulator's daily template quota (6) is not spent yet.
describe("a handler's template message (ctx.notify, the demo's #notify)", () => {
  it('is queued once the handler returns, under the id its reply names, and sent once', async () => {
    await userWrites('oNotifyMe', '#notify Order 42');
    const reply = await waitFor(() => textsTo('oNotifyMe')[0], { message: 'the #notify reply', timeoutMs: 20_000 });
    const id = /ntf_[0-9a-f]{32}/.exec(reply)?.[0] ?? '';
    expect(id).not.toBe('');
    const delivered = await settled(id, 'delivered');
    expect(delivered).toMatchObject({ kind: 'template', to: 'oNotifyMe', account: APP_ID });
    expect(sim.templateSends.filter((s) => s.client_msg_id === id)).toMatchObject([
      { touser: 'oNotifyMe', template_id: TEMPLATE, data: { thing1: { value: 'Order 42' } } },
    ]);
  });
});

describe('a customer-service message through the API', () => {
  it('to a user who never wrote is refused for want of quota, never attempted', async () => {
    const record = await notifier.send({ to: 'oSilent', customerService: { msgtype: 'text', text: { content: 'x' } } });
    expect(await settled(record.id, 'refused')).toMatchObject({ kind: 'customerService', reason: 'quota' });
    expect(textsTo('oSilent')).toEqual([]);
  });

  it("goes after the user's reply, in the order accepted, within the user's quota", async () => {
    await userWrites('oCsUser', 'hello');
    await waitFor(() => textsTo('oCsUser').length === 1, { message: 'the echo', timeoutMs: 20_000 });
    const records = [];
    for (const n of [1, 2, 3, 4, 5])
      records.push(
        await notifier.send({
          to: 'oCsUser',
          customerService: { msgtype: 'text', text: { content: `m${String(n)}` } },
        }),
      );
    // A message allows five sends (docs/quota.md): the echo took one, four are left for five messages.
    for (const record of records.slice(0, 4)) await settled(record.id, 'sent');
    expect(await settled(records[4]?.id ?? '', 'refused')).toMatchObject({ reason: 'quota' });
    expect(textsTo('oCsUser')).toEqual(['hello', 'm1', 'm2', 'm3', 'm4']);
  });
});

describe('a template message', () => {
  it('is sent once with its id as client_msg_id, then delivered by WeChat report through the gateway', async () => {
    const record = await notifier.send(template('oUserA'), { idempotencyKey: 'order-42-shipped' });
    const delivered = await settled(record.id, 'delivered');
    const sends = sim.templateSends.filter((s) => s.touser === 'oUserA');
    expect(sends).toHaveLength(1);
    expect(sends[0]).toMatchObject({
      template_id: TEMPLATE,
      client_msg_id: record.id,
      data: { thing1: { value: DATA_SECRET } },
      url: 'https://example.com/order/42',
    });
    // The msgid is above 2^53: kept as WeChat's digits.
    expect(delivered.msgid).toBe(sends[0]?.msgid);
    expect(BigInt(delivered.msgid ?? '0')).toBeGreaterThan(2n ** 53n);
    // The same request again: the same message, nothing sent twice.
    expect((await notifier.send(template('oUserA'), { idempotencyKey: 'order-42-shipped' })).id).toBe(record.id);
    expect(sim.templateSends.filter((s) => s.touser === 'oUserA')).toHaveLength(1);
  });

  it("is failed when WeChat's report says the user blocked it", async () => {
    const record = await notifier.send(template('oBlocked'));
    expect(await settled(record.id, 'failed')).toMatchObject({ reason: 'failed:user block' });
  });

  it('with an unknown template is refused with 40037, sent never', async () => {
    const record = await notifier.send({ to: 'oUserB', template: { id: 'no_such_template', data: {} } });
    expect(await settled(record.id, 'refused')).toMatchObject({ errcode: 40037 });
  });
});

/** The recipient of a send the simulator was asked for. */
function to(request: SimulatorRequest): unknown {
  return (request.body as { touser?: unknown } | undefined)?.touser;
}

describe('WeChat failing a template send', () => {
  it('system busy (-1) once: retried with backoff and sent once', async () => {
    sim.injectFault({ path: '/cgi-bin/message/template/send', errcode: -1, when: (r) => to(r) === 'oBusy' });
    const record = await notifier.send(template('oBusy'));
    await settled(record.id, 'delivered');
    expect(sim.templateSends.filter((s) => s.touser === 'oBusy')).toHaveLength(1);
  });

  it('too often to this user (43117): put off, three times at most, then refused', async () => {
    sim.injectFault({
      path: '/cgi-bin/message/template/send',
      errcode: 43117,
      times: 4,
      when: (r) => to(r) === 'oTooOften',
    });
    const record = await notifier.send(template('oTooOften'));
    const job = `nt-${record.id}`;
    for (let deferral = 1; deferral <= 3; deferral += 1) {
      // Put off for the policy's wait (minutes): the test does not wait, it promotes the job.
      await waitFor(async () => (await notifyQueue.getJobState(job)) === 'delayed', {
        message: `deferral ${String(deferral)}`,
        timeoutMs: 20_000,
      });
      const delayed = await notifyQueue.getJob(job);
      expect(delayed?.data).toMatchObject({ deferred: deferral });
      expect((delayed?.delay ?? 0) + (delayed?.timestamp ?? 0)).toBeGreaterThan(Date.now() + 60_000);
      await delayed?.promote();
    }
    expect(await settled(record.id, 'refused')).toMatchObject({ errcode: 43117 });
    expect(sim.templateSends.filter((s) => s.touser === 'oTooOften')).toHaveLength(0);
  });
});

describe('a subscribe notification', () => {
  it('without consent is not attempted (no_consent); after an accept in a popup it is sent once', async () => {
    const before = await notifier.send(subscribe('oUserC'));
    expect(await settled(before.id, 'refused')).toMatchObject({ reason: 'no_consent' });
    expect(sim.subscribeSends.filter((s) => s.touser === 'oUserC')).toHaveLength(0);

    await popup('oUserC', [{ templateId: ONCE, status: 'accept' }]);
    // The popup is a push: the worker has applied it once it is done.
    await waitFor(async () => (await redis.hget(createKeys(PREFIX).consent(APP_ID, 'oUserC'), ONCE)) === '1', {
      message: 'the accept to give one credit',
    });
    const after = await notifier.send(subscribe('oUserC'));
    await settled(after.id, 'delivered');
    expect(sim.subscribeSends.filter((s) => s.touser === 'oUserC')).toHaveLength(1);
    // One accept, one send: the next has no credit.
    const third = await notifier.send(subscribe('oUserC'));
    expect(await settled(third.id, 'refused')).toMatchObject({ reason: 'no_consent' });
  });

  it('whose credit WeChat no longer has (43101) is refused no_consent and the credit cleared', async () => {
    await redis.hset(createKeys(PREFIX).consent(APP_ID, 'oUserD'), ONCE, '3');
    const record = await notifier.send(subscribe('oUserD'));
    expect(await settled(record.id, 'refused')).toMatchObject({ reason: 'no_consent', errcode: 43101 });
    expect(await redis.hexists(createKeys(PREFIX).consent(APP_ID, 'oUserD'), ONCE)).toBe(0);
  });
});

describe("the account's daily template quota (45009)", () => {
  it('pauses template sends, not replies to users, and loses none', async () => {
    const before = sim.templateSends.length;
    const records = await Promise.all(
      Array.from({ length: 6 }, (_, i) => notifier.send(template(`oQuota${String(i)}`, `v${String(i)}`))),
    );
    await waitFor(async () => (await redis.exists(createKeys(PREFIX).notificationPause(APP_ID))) === 1, {
      message: 'the notifications to be paused by 45009',
      timeoutMs: 20_000,
    });
    // Accepted up to the quota; the rest wait, queued, not refused.
    const statuses = await Promise.all(records.map(async (r) => (await notifier.get(r.id))?.status));
    expect(statuses).toContain('queued');
    expect(statuses).not.toContain('refused');
    expect(sim.templateSends.length - before).toBeLessThan(6);

    // A user still gets an answer.
    const repliesBefore = sim.sends.length;
    const message = createMessage.text('still there?', { openid: 'oChatter' });
    const built = buildPush({ account: { appId: APP_ID, token: TOKEN }, mode: 'plaintext', message });
    await sendPush(`http://127.0.0.1:${gateway.publicPort}`, '/wechat', built, { simulator: sim });
    await sim.waitForSends(repliesBefore + 1, 20_000);

    // None failed: each is sent, or waits in "delayed" for the pause to end (WeChat's quota resets
    // at midnight; an operator's resume before then only meets 45009 again).
    const states = await Promise.all(records.map(async (r) => notifyQueue.getJobState(`nt-${r.id}`)));
    for (const state of states) expect(['completed', 'delayed']).toContain(state);
    expect(states).toContain('delayed');
  });
});

describe('logs', () => {
  it('never hold data values', () => {
    expect(logs.text()).not.toContain(DATA_SECRET);
  });
});
