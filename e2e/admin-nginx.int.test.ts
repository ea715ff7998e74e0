import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadGatewayConfig } from '@wxq/config';
import { type RunningGateway, startGateway } from '@wxq/gateway';
import { createLogger } from '@wxq/logging';
import { createKeys, createRedis } from '@wxq/redis';
import { createLogSink, findFreePort, signHandshake, signPlaintextPush, waitFor } from '@wxq/testing';
import { buildInboundXml } from '@wxq/wechat';
import { createMessage } from '@wxq/wechat-sim';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type RunningNginx, findNginx, rawRequest, startNginx } from './nginx.js';

// Bull Board's way in through deploy/nginx.conf and deploy/nginx-https.conf in a real nginx: only
// over HTTPS, only from the admin allow-list, and an address that keeps failing to log in is locked
// out by the gateway (429) through nginx; pushes keep working on both ports meanwhile.

const nginxBinary = findNginx();
// CI installs nginx (.ci/run); a machine without it skips this suite and says so.
const describeWithNginx = nginxBinary === undefined && process.env['CI'] === undefined ? describe.skip : describe;
if (nginxBinary === undefined) console.warn('[e2e] nginx is not installed: the admin-behind-nginx suite is skipped');

const APP_ID = 'wx3c4d5e6f7a8b9c0d';
const TOKEN = 'adminNginxToken7';
const ACCOUNT = { appId: APP_ID, token: TOKEN };
const PASSWORD = 'admin-nginx-password-81c2';
const BOARD = '/admin/queues';

let gateway: RunningGateway;
let nginx: RunningNginx;
/** nginx with an admin allow-list that leaves out loopback, the only address this test has. */
let fenced: RunningNginx;
const prefix = `{test-${randomUUID()}}`;
const logs = createLogSink();
const cleanups: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  if (nginxBinary === undefined) throw new Error('nginx is required in CI: apt-get install nginx');
  const dir = await mkdtemp(join(tmpdir(), 'wxq-admin-nginx-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  gateway = await startGateway(
    loadGatewayConfig({
      REDIS_URL: inject('redisUrl'),
      WECHAT_APPID: APP_ID,
      WECHAT_TOKEN: TOKEN,
      WXQ_QUEUE_PREFIX: prefix,
      HOST: '127.0.0.1',
      PORT: '0',
      ADMIN_HOST: '127.0.0.1',
      ADMIN_PORT: '0',
      ADMIN_PASSWORD: PASSWORD,
      // As docker-compose.yml: one hop, nginx; the client address is the one nginx saw.
      TRUST_PROXY: '1',
    }),
    { logger: createLogger({ level: 'info', name: 'admin-nginx' }, logs.stream) },
  );
  cleanups.push(() => gateway.stop());
  const publicUpstream = [`127.0.0.1:${String(gateway.publicPort)}`];
  const adminUpstream = [`127.0.0.1:${String(gateway.adminPort)}`];
  nginx = await startNginx(nginxBinary, join(dir, 'open'), await findFreePort(), publicUpstream, adminUpstream);
  cleanups.push(() => nginx.stop());
  fenced = await startNginx(nginxBinary, join(dir, 'fenced'), await findFreePort(), publicUpstream, adminUpstream, {
    adminAllow: ['192.0.2.0/24', '2001:db8::/32'],
  });
  cleanups.push(() => fenced.stop());
}, 60_000);

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

function basicAuth(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

/** Over nginx's HTTPS server, trusting its certificate. */
function overTls(
  proxy: RunningNginx,
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {},
) {
  return rawRequest(proxy.httpsUrl, path, { ...options, ca: proxy.certificate.ca });
}

describeWithNginx('Bull Board behind nginx: HTTPS, an allow-list, failed logins locked out', () => {
  it('pushes and the handshake work on both ports, as before', async () => {
    for (const send of [
      (path: string, options: Parameters<typeof rawRequest>[2]) => rawRequest(nginx.url, path, options),
      (path: string, options: Parameters<typeof rawRequest>[2]) => overTls(nginx, path, options),
    ]) {
      const push = signPlaintextPush(buildInboundXml(createMessage.text('hello through nginx')), { account: ACCOUNT });
      const answer = await send(`/wechat?${push.query}`, { method: 'POST', body: push.body });
      expect(answer).toMatchObject({ status: 200, body: 'success' });
      const echostr = `echo-${randomUUID()}`;
      expect(await send(`/wechat?${signHandshake(echostr, { account: ACCOUNT })}`, {})).toMatchObject({
        status: 200,
        body: echostr,
      });
    }
    // The fenced nginx keeps Bull Board from everyone here, never the pushes.
    const push = signPlaintextPush(buildInboundXml(createMessage.text('fenced')), { account: ACCOUNT });
    expect((await overTls(fenced, `/wechat?${push.query}`, { method: 'POST', body: push.body })).status).toBe(200);
  });

  it('over plain http, /admin/ is a redirect to HTTPS and never reaches the gateway', async () => {
    const answer = await rawRequest(nginx.url, BOARD, { headers: { authorization: basicAuth('admin', PASSWORD) } });
    expect(answer.status).toBe(301);
    expect(answer.headers.location).toBe(`https://127.0.0.1${BOARD}`);
    expect(answer.headers['www-authenticate']).toBeUndefined();
  });

  it('over HTTPS from an allowed address (loopback): the board behind its basic auth', async () => {
    expect((await overTls(nginx, BOARD)).status).toBe(401);
    expect((await overTls(nginx, BOARD, { headers: { authorization: basicAuth('admin', PASSWORD) } })).status).toBe(
      200,
    );
    expect(
      (await overTls(nginx, '/metrics', { headers: { authorization: basicAuth('admin', PASSWORD) } })).status,
    ).toBe(404);
  });

  it('from an address off the allow-list: 403 from nginx, with or without the password', async () => {
    for (const headers of [{}, { authorization: basicAuth('admin', PASSWORD) }]) {
      const answer = await overTls(fenced, BOARD, { headers });
      expect(answer.status).toBe(403);
      expect(answer.headers['www-authenticate']).toBeUndefined();
    }
  });

  it('5 failed logins from one address: 429 for a minute, the right password too; X-Forwarded-For does not help', async () => {
    // The client's own X-Forwarded-For entries are ignored (TRUST_PROXY=1): each guess is 127.0.0.1's.
    for (let i = 0; i < 5; i += 1) {
      const guess = await overTls(nginx, BOARD, {
        headers: { authorization: basicAuth('admin', `guess-${i}`), 'x-forwarded-for': `198.51.100.${i}` },
      });
      expect(guess.status).toBe(401);
    }
    const locked = await overTls(nginx, BOARD, { headers: { authorization: basicAuth('admin', PASSWORD) } });
    expect(locked.status).toBe(429);
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(50);
    expect(Number(locked.headers['retry-after'])).toBeLessThanOrEqual(60);
    const warning = logs.lines().find((line) => String(line['msg']).includes('locked out'));
    expect(warning?.['ip']).toBe('127.0.0.1');

    // Pushes are not the board's business: they go on.
    const push = signPlaintextPush(buildInboundXml(createMessage.text('while locked')), { account: ACCOUNT });
    expect((await overTls(nginx, `/wechat?${push.query}`, { method: 'POST', body: push.body })).status).toBe(200);

    // The lock is the counter's time to live in Redis; when it ends, the operator gets in again.
    const redis = createRedis({ mode: 'standalone', url: inject('redisUrl') }, 'worker', 'wxq-test');
    const counter = createKeys(prefix).adminLoginFailures('127.0.0.1');
    try {
      await redis.pexpire(counter, 1);
      await waitFor(async () => (await redis.exists(counter)) === 0, { timeoutMs: 2_000, message: 'the lock to end' });
    } finally {
      await redis.quit();
    }
    expect((await overTls(nginx, BOARD, { headers: { authorization: basicAuth('admin', PASSWORD) } })).status).toBe(
      200,
    );
  });
});
