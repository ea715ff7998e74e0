import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadGatewayConfig, loadWorkerConfig } from '@wxq/config';
import { type RunningGateway, startGateway } from '@wxq/gateway';
import { defineHandlers } from '@wxq/handlers';
import { createLogger } from '@wxq/logging';
import { QUEUES } from '@wxq/queue';
import { REPO_ROOT, type RedisServer, findFreePort, signPlaintextPush, startRedisServer, waitFor } from '@wxq/testing';
import { buildInboundXml } from '@wxq/wechat';
import { type WechatApiSimulator, createMessage, startWechatApiSimulator } from '@wxq/wechat-sim';
import { type RunningWorker, startWorker } from '@wxq/worker';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findChromium, launchChromium } from './chromium.js';
import { type RunningNginx, findNginx, rawRequest, startNginx } from './nginx.js';

// An operator's Bull Board, the way a browser reaches it in production: headless Chromium -> nginx
// running deploy/nginx.conf (/admin/ on its HTTPS server) -> the gateway's admin listener, with a
// worker and the WeChat API simulator behind. Screenshots go to e2e/artifacts/ (git-ignored), for a look when it fails.

const nginxBinary = findNginx();
const chromiumBinary = findChromium();
const missing = [nginxBinary === undefined ? 'nginx' : '', chromiumBinary === undefined ? 'chromium' : ''].filter(
  (name) => name !== '',
);
// CI installs both (.ci/run); a machine without them skips this suite and says so.
const describeInBrowser = missing.length > 0 && process.env['CI'] === undefined ? describe.skip : describe;
if (missing.length > 0)
  console.warn(`[e2e] ${missing.join(' and ')} not installed: the Bull Board browser suite is skipped`);

const APP_ID = 'wx0123456789abcdef';
const TOKEN = 'boardBrowserToken1';
const APP_SECRET = 'boardsecret0123456789abcdef01234';
const USER = 'operator';
const PASSWORD = 'board-browser-password';
/** Not the default: the board must follow ADMIN_BASE_PATH, under nginx's /admin/. */
const BASE_PATH = '/admin/board';
const ARTIFACTS = join(REPO_ROOT, 'e2e/artifacts/bull-board');
/** Fails the first time it runs for a message, then answers: the kind of failure an operator retries. */
const FAILS_ONCE = 'fails once';
const account = { appId: APP_ID, token: TOKEN };

let sim: WechatApiSimulator;
let nginx: RunningNginx;
let browser: Browser;
let inbound: Queue;
/** What beforeAll started, undone in reverse order by afterAll (also after a failed start). */
const cleanups: (() => Promise<unknown>)[] = [];
const prefix = `{board-${String(Date.now())}}`;
const failedOnce = new Set<string>();

const handlers = defineHandlers((r) =>
  r
    .text(FAILS_ONCE, (message, ctx) => {
      if (!failedOnce.has(message.MsgId)) {
        failedOnce.add(message.MsgId);
        throw new Error('the order service is down (failing on purpose, once)');
      }
      ctx.reply.text('your order is on its way');
    })
    .fallback((_message, ctx) => {
      ctx.reply.text('hello from the worker');
    }),
);

beforeAll(async () => {
  if (nginxBinary === undefined || chromiumBinary === undefined) throw new Error(`CI needs ${missing.join(', ')}`);
  const dir = await mkdtemp(join(tmpdir(), 'wxq-board-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  await rm(ARTIFACTS, { recursive: true, force: true });
  await mkdir(ARTIFACTS, { recursive: true });
  // Workers stay running through the suite: a Redis of its own.
  const redis: RedisServer = await startRedisServer();
  cleanups.push(() => redis.stop());
  sim = await startWechatApiSimulator({ accounts: [{ appId: APP_ID, appSecret: APP_SECRET }] });
  cleanups.push(() => sim.stop());
  const silent = createLogger({ level: 'warn', name: 'board' }, pino.destination('/dev/null'));
  const gateway: RunningGateway = await startGateway(
    loadGatewayConfig({
      REDIS_URL: redis.url,
      WECHAT_APPID: APP_ID,
      WECHAT_TOKEN: TOKEN,
      WXQ_QUEUE_PREFIX: prefix,
      HOST: '127.0.0.1',
      PORT: '0',
      ADMIN_HOST: '127.0.0.1',
      ADMIN_PORT: '0',
      ADMIN_USER: USER,
      ADMIN_PASSWORD: PASSWORD,
      ADMIN_BASE_PATH: BASE_PATH,
      TRUST_PROXY: 'loopback',
    }),
    { logger: silent },
  );
  cleanups.push(() => gateway.stop());
  const worker: RunningWorker = startWorker(
    loadWorkerConfig({
      REDIS_URL: redis.url,
      WECHAT_APPID: APP_ID,
      WECHAT_APPSECRET: APP_SECRET,
      WECHAT_API_BASE_URL: sim.url,
      WXQ_QUEUE_PREFIX: prefix,
      // One attempt: the failing handler fails for good at once, and waits for an operator.
      HANDLER_ATTEMPTS: '1',
    }),
    { logger: silent, handlers },
  );
  cleanups.push(() => worker.stop());
  if (gateway.adminPort === undefined) throw new Error('the admin listener did not start');
  nginx = await startNginx(
    nginxBinary,
    dir,
    await findFreePort(),
    [`127.0.0.1:${String(gateway.publicPort)}`],
    [`127.0.0.1:${String(gateway.adminPort)}`],
  );
  cleanups.push(() => nginx.stop());
  browser = await launchChromium(chromiumBinary);
  cleanups.push(() => browser.close());
  const testRedis = new Redis(redis.url);
  cleanups.push(() => testRedis.quit());
  inbound = new Queue(QUEUES.inbound.name, { connection: testRedis, prefix });
  cleanups.push(() => inbound.close());
}, 90_000);

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

async function pushThroughNginx(content: string): Promise<string> {
  const message = createMessage.text(content);
  const push = signPlaintextPush(buildInboundXml(message), { account });
  const answer = await fetch(`${nginx.url}/wechat?${push.query}`, { method: 'POST', body: push.body });
  expect(answer.status).toBe(200);
  expect(await answer.text()).toBe('success');
  return message.FromUserName;
}

async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
  await writeFile(join(ARTIFACTS, `${name}.html`), await page.content());
}

/** GET `path` from nginx's HTTPS server, exactly as written. */
async function rawGet(path: string, headers: Record<string, string> = {}): Promise<number> {
  return (await rawRequest(nginx.httpsUrl, path, { headers, ca: nginx.certificate.ca })).status;
}

describeInBrowser('Bull Board behind nginx, in a real browser', () => {
  it('nginx proxies Bull Board only: /metrics, /readyz and paths climbing out of /admin/ stay 404', async () => {
    const authorization = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`;
    expect(await rawGet(BASE_PATH, { authorization })).toBe(200);
    expect(await rawGet(`${BASE_PATH}/api/queues`)).toBe(401);
    // Only where ADMIN_BASE_PATH says.
    expect(await rawGet('/admin/queues', { authorization })).toBe(404);
    for (const path of ['/metrics', '/readyz', '/admin/../metrics', '/admin/%2e%2e/metrics', '/admin%2fqueues']) {
      expect(await rawGet(path, { authorization }), path).toBe(404);
    }
    // The admin listener serves /metrics at its root, not under the base path.
    expect(await rawGet('/admin/metrics', { authorization })).toBe(404);
    // Over plain http the board is not served: a redirect to HTTPS, before any password is asked.
    const plain = await rawRequest(nginx.url, BASE_PATH, { headers: { authorization } });
    expect(plain.status).toBe(301);
    expect(plain.headers.location).toBe(`https://127.0.0.1${BASE_PATH}`);
  });

  it('an operator logs in through /admin/, sees every queue, opens a failed job, retries it and sees it complete', async () => {
    await pushThroughNginx('hello');
    const openId = await pushThroughNginx(FAILS_ONCE);
    await waitFor(async () => (await inbound.getJobCounts('failed')).failed === 1, {
      timeoutMs: 10_000,
      message: 'the failing handler job to fail',
    });

    // Without credentials, or with a wrong password, nginx passes the gateway's challenge on. (Asked
    // through the browser context's own HTTP client: headless Chromium shows no login prompt.)
    for (const httpCredentials of [undefined, { username: USER, password: 'wrong-password' }]) {
      // The certificate is a throwaway one of the suite's own.
      const outsider = await browser.newContext({
        ignoreHTTPSErrors: true,
        ...(httpCredentials === undefined ? {} : { httpCredentials }),
      });
      const refused = await outsider.request.get(`${nginx.httpsUrl}${BASE_PATH}`);
      expect(refused.status()).toBe(401);
      expect(refused.headers()['www-authenticate']).toMatch(/^Basic realm=/);
      await outsider.close();
    }

    const context = await browser.newContext({
      ignoreHTTPSErrors: true,
      httpCredentials: { username: USER, password: PASSWORD },
    });
    // Bull Board's page asks Google for a font; the test has no business on the internet.
    await context.route(/^https?:\/\/(?!127\.0\.0\.1)/, (route) => route.abort());
    context.setDefaultTimeout(10_000);
    const page = await context.newPage();
    // Every script, style, image and API call of the board comes through nginx under the base path.
    const requested: string[] = [];
    const refusedRequests: string[] = [];
    page.on('response', (response) => {
      const url = new URL(response.url());
      if (url.origin !== nginx.httpsUrl) return;
      requested.push(url.pathname);
      if (response.status() >= 400) refusedRequests.push(`${String(response.status())} ${url.pathname}`);
    });
    const dashboard = await page.goto(`${nginx.httpsUrl}${BASE_PATH}`);
    expect(dashboard?.status()).toBe(200);
    // Every queue of the catalog, on the dashboard and in the menu.
    for (const { name } of Object.values(QUEUES)) {
      await page.locator('nav').getByRole('link', { name, exact: true }).waitFor();
      await page.locator('main').getByText(name, { exact: true }).waitFor();
    }
    await screenshot(page, '1-dashboard');
    await page.locator('nav').getByRole('link', { name: 'inbound', exact: true }).click();
    await page.waitForURL((url) => url.pathname === `${BASE_PATH}/queue/inbound`);
    await page.locator('main a[href$="/queue/inbound?status=failed"]').click();
    const [failed] = await inbound.getFailed();
    const jobId = failed?.id ?? '';
    await page.getByRole('link', { name: jobId }).waitFor();
    await screenshot(page, '2-failed-list');
    await page.getByRole('link', { name: jobId }).click();
    await page.waitForURL((url) => url.pathname === `${BASE_PATH}/queue/inbound/${jobId}`);
    await page.getByText('the order service is down').waitFor();
    await screenshot(page, '3-failed-job');
    // The job's action buttons are icons; each names itself in a tooltip.
    const retryButton = page.locator('main ul li button').first();
    await retryButton.hover();
    await page.getByText('Retry', { exact: true }).waitFor();
    await retryButton.click();
    const confirm = page.getByRole('alertdialog');
    await confirm.getByText('retry this job').waitFor();
    await screenshot(page, '4-confirm-retry');
    await confirm.getByRole('button', { name: 'Confirm' }).click();

    // The worker runs the handler again; this time it answers, and the reply reaches WeChat.
    await waitFor(async () => (await inbound.getJobState(jobId)) === 'completed', {
      timeoutMs: 15_000,
      message: 'the retried job to complete',
    });
    const [reply] = await sim.waitForSends(2, 10_000).then((sends) => sends.filter((s) => s.message.touser === openId));
    expect(reply?.message).toMatchObject({ msgtype: 'text', text: { content: 'your order is on its way' } });
    // And the operator sees it: the board refreshes by itself, and lists the job as completed.
    await page.getByText('Finished at').waitFor({ timeout: 15_000 });
    await screenshot(page, '5-retried-job');
    await page.locator('main').getByRole('link', { name: 'inbound', exact: true }).click();
    await page.locator('main a[href$="/queue/inbound?status=completed"]').click();
    await page.getByRole('link', { name: jobId }).waitFor();
    await screenshot(page, '6-completed');
    expect(refusedRequests).toEqual([]);
    expect(requested.some((path) => path.startsWith(`${BASE_PATH}/static/`))).toBe(true);
    expect(requested.some((path) => path.startsWith(`${BASE_PATH}/api/`))).toBe(true);
    expect(requested.filter((path) => !path.startsWith(BASE_PATH))).toEqual([]);
    await context.close();
  }, 60_000);
});
