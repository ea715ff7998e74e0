// Campaigns end to end (docs/notifications.md): a campaign accepted through @wxq/notify is fed by
// the workers to the notify queue at the account's pace, sent to the WeChat API simulator and
// reported back through the real gateway. Its counts always sum to its total; pause, cancel and
// a template WeChat does not know stop it; a worker killed mid-campaign loses and repeats nobody.
import { loadGatewayConfig, loadWorkerConfig } from '@wxq/config';
import { type RunningGateway, startGateway } from '@wxq/gateway';
import { demoHandlers } from '@wxq/handlers';
import { createLogger } from '@wxq/logging';
import { type Campaign, type CampaignRequest, type Campaigns, createCampaigns } from '@wxq/notify';
import { createKeys } from '@wxq/redis';
import { type RedisServer, createLogSink, startRedisServer, startTsProcess, waitFor } from '@wxq/testing';
import { type WechatApiSimulator, startWechatApiSimulator } from '@wxq/wechat-sim';
import { type RunningWorker, startWorker } from '@wxq/worker';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

const APP_ID = 'wx6c6c6c6c6c6c6c6c';
const APP_SECRET = 'campaignsecret0123456789abcdef01';
const TOKEN = 'campaignToken42';
const PREFIX = '{campaigns}';
const TEMPLATE = 'demo_template';
/**
 * Template sends per second: slow enough to pause or kill a worker mid-campaign. Under 100 (a
 * tick's worth under 20) a campaign is fed as a notify job per recipient; from 100, as
 * notify-batch jobs of 20 (libs/notify campaign-feeder.ts): every test runs with both.
 */
const MODES = [
  { feed: 'a notify job per recipient', RATE: 60 },
  { feed: 'notify-batch jobs of twenty', RATE: 150 },
] as const;

describe.each(MODES)('fed as $feed', ({ RATE }) => {
  let server: RedisServer;
  let redis: Redis;
  let sim: WechatApiSimulator;
  let gateway: RunningGateway;
  let worker: RunningWorker;
  let campaigns: Campaigns;
  const logs = createLogSink();
  const workerEnv = (url: string, simUrl: string) => ({
    WXQ_QUEUE_PREFIX: PREFIX,
    WECHAT_APPID: APP_ID,
    LOG_LEVEL: 'info',
    REDIS_URL: url,
    WECHAT_APPSECRET: APP_SECRET,
    WECHAT_API_BASE_URL: simUrl,
    ADMIN_PORT: '0',
    WXQ_TEMPLATE_RATE: String(RATE),
    WORKER_LOCK_DURATION_MS: '2000',
    WORKER_STALLED_INTERVAL_MS: '1000',
  });

  beforeAll(async () => {
    server = await startRedisServer();
    redis = new Redis(server.url, { maxRetriesPerRequest: null });
    sim = await startWechatApiSimulator({ accounts: [{ appId: APP_ID, appSecret: APP_SECRET }], reportDelayMs: 0 });
    const logger = createLogger({ level: 'info', name: 'campaigns-e2e' }, logs.stream);
    gateway = await startGateway(
      loadGatewayConfig({
        WXQ_QUEUE_PREFIX: PREFIX,
        WECHAT_APPID: APP_ID,
        REDIS_URL: server.url,
        PORT: '0',
        HOST: '127.0.0.1',
        WECHAT_TOKEN: TOKEN,
      }),
      { logger },
    );
    sim.setCallback(APP_ID, { url: `http://127.0.0.1:${gateway.publicPort}/wechat`, token: TOKEN });
    worker = startWorker(loadWorkerConfig(workerEnv(server.url, sim.url)), { logger, handlers: demoHandlers });
    campaigns = createCampaigns({ redis, keys: createKeys(PREFIX), accounts: [APP_ID] });
  }, 30_000);

  afterAll(async () => {
    await worker.stop();
    await gateway.stop();
    await redis.quit();
    await sim.stop();
    await server.stop();
  });

  beforeEach(() => {
    sim.reset();
  });

  const users = (tag: string, n: number) =>
    Array.from({ length: n }, (_, i) => `o${tag}-${String(i).padStart(4, '0')}`);

  function campaignOf(recipients: CampaignRequest['recipients'], templateId = TEMPLATE): CampaignRequest {
    return { template: { id: templateId, data: { thing1: { value: 'Weekly digest' } } }, recipients };
  }

  const sum = ({ counts: c }: Campaign) => c.queued + c.sent + c.delivered + c.failed + c.refused;

  async function until(id: string, done: (c: Campaign) => boolean, message: string, timeoutMs = 30_000) {
    return waitFor(
      async () => {
        const campaign = await campaigns.get(id);
        expect(campaign === undefined ? 0 : sum(campaign)).toBe(campaign?.total ?? 0);
        return campaign !== undefined && done(campaign) ? campaign : undefined;
      },
      { message, timeoutMs },
    );
  }

  /** Accepted sends per recipient at the simulator (a client_msg_id repeat is none: WeChat drops it). */
  function sendsPer(tag: string): Map<string, number> {
    const counts = new Map<string, number>();
    for (const send of sim.templateSends)
      if (send.touser.startsWith(`o${tag}-`)) counts.set(send.touser, (counts.get(send.touser) ?? 0) + 1);
    return counts;
  }

  describe('a campaign', () => {
    it('sends each recipient once with its own data merged, and is done with every report counted', async () => {
      const recipients = users('A', 90);
      const own = { to: 'oA-own', data: { thing2: { value: 'just for you' } } };
      const accepted = await campaigns.create(campaignOf([...recipients, recipients[0] ?? '', own]));
      expect(accepted.total).toBe(91);
      const done = await until(accepted.id, (c) => c.status === 'done' && c.counts.delivered === 91, 'all delivered');
      expect(done.counts).toEqual({ queued: 0, sent: 0, delivered: 91, failed: 0, refused: 0 });
      const perUser = sendsPer('A');
      expect(perUser.size).toBe(91);
      expect([...perUser.values()].every((n) => n === 1)).toBe(true);
      const ownSend = sim.templateSends.find((s) => s.touser === 'oA-own');
      expect(ownSend?.data).toEqual({ thing1: { value: 'Weekly digest' }, thing2: { value: 'just for you' } });
      const page = await campaigns.recipients(accepted.id, { limit: 1000 });
      expect(page?.recipients.map((r) => r.status)).toEqual(Array.from({ length: 91 }, () => 'delivered'));
      expect(sim.templateSends.every((s) => s.client_msg_id?.startsWith('ntf_') === true)).toBe(true);
    });

    it('paused sends nothing more until resumed, then finishes', async () => {
      const accepted = await campaigns.create(campaignOf(users('P', 240)));
      await waitFor(() => (sendsPer('P').size >= 30 ? true : undefined), { message: '30 sent', timeoutMs: 20_000 });
      await campaigns.control(accepted.id, 'pause');
      // Sends already under way finish (the count holds for 300 ms); then nothing while it stays paused.
      let last = -1;
      const atPause = await waitFor(
        async () => {
          const now = sendsPer('P').size;
          const held = now === last;
          last = now;
          if (!held) await new Promise((resolve) => setTimeout(resolve, 300));
          return held ? now : undefined;
        },
        { message: 'sends under way at the pause to finish', timeoutMs: 10_000 },
      );
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect(sendsPer('P').size).toBe(atPause);
      expect(atPause).toBeLessThan(240);
      expect((await campaigns.get(accepted.id))?.status).toBe('paused');
      await campaigns.control(accepted.id, 'resume');
      const done = await until(accepted.id, (c) => c.status === 'done', 'done after resume');
      expect(done.counts.queued).toBe(0);
      expect(sendsPer('P').size).toBe(240);
    });

    it('cancelled refuses every recipient not sent yet', async () => {
      const accepted = await campaigns.create(campaignOf(users('C', 300)));
      await waitFor(() => (sendsPer('C').size >= 20 ? true : undefined), { message: '20 sent', timeoutMs: 20_000 });
      await campaigns.control(accepted.id, 'cancel');
      const settled = await until(accepted.id, (c) => c.counts.queued === 0, 'nothing queued');
      expect(settled.status).toBe('cancelled');
      const sent = sendsPer('C').size;
      expect(settled.counts.refused).toBe(300 - sent);
      expect(sent).toBeLessThan(300);
      const refused = await campaigns.recipients(accepted.id, { status: 'refused', limit: 1000 });
      expect(refused?.recipients.every((r) => r.reason === 'cancelled')).toBe(true);
    });

    it('with a template WeChat does not know (40037) fails, its recipients refused, few calls made', async () => {
      const accepted = await campaigns.create(campaignOf(users('F', 500), 'no_such_template'));
      const failed = await until(accepted.id, (c) => c.status === 'failed' && c.counts.queued === 0, 'failed');
      expect(failed.reason).toBe('40037');
      expect(failed.counts.refused).toBe(500);
      const calls = sim.calls.filter(
        (c) =>
          c.path === '/cgi-bin/message/template/send' &&
          String((c.body as { touser?: unknown } | undefined)?.touser).startsWith('oF-'),
      ).length;
      expect(calls).toBeGreaterThan(0);
      // At most what was queued when the first refusal came back: two seconds' worth, plus the ones in flight.
      expect(calls).toBeLessThan(2 * RATE + 20);
    });
  });

  describe('a worker killed mid-campaign', () => {
    it('and restarted leaves every recipient sent exactly once, none lost', async () => {
      const env = { ...process.env, ...workerEnv(server.url, sim.url) };
      const start = () => startTsProcess('apps/worker/src/main.ts', { env, echoStderr: true });
      let child = start();
      await child.waitForLogLine((l) => l.msg === 'worker running', { timeoutMs: 30_000, message: 'child worker up' });
      const accepted = await campaigns.create(campaignOf(users('K', 400)));
      await waitFor(() => (sendsPer('K').size >= 60 ? true : undefined), { message: '60 sent', timeoutMs: 20_000 });
      child.signal('SIGKILL');
      await child.exited;
      child = start();
      try {
        // A send killed between WeChat's answer and its record is sent again with its client_msg_id:
        // WeChat answers the same msgid and reports nothing again, so a report that came before the
        // record knew its msgid leaves it `sent`. Sent once either way.
        const done = await until(accepted.id, (c) => c.status === 'done', 'done', 80_000);
        expect(done.counts).toMatchObject({ queued: 0, failed: 0, refused: 0 });
        expect(done.counts.sent + done.counts.delivered).toBe(400);
        const perUser = sendsPer('K');
        expect(perUser.size).toBe(400);
        expect([...perUser.entries()].filter(([, n]) => n !== 1)).toEqual([]);
      } finally {
        await child.stop({ signal: 'SIGKILL' });
      }
    }, 120_000);
  });

  describe('logs', () => {
    it('never hold data values', () => {
      expect(logs.text()).not.toContain('Weekly digest');
    });
  });
});
