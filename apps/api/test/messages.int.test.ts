import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QUEUES } from '@wxq/queue';
import { createKeys } from '@wxq/redis';
import { Queue } from 'bullmq';
import { describe, expect, it, onTestFinished } from 'vitest';
import { APP_ID, OTHER_APP_ID, errorCodeOf, templateRequest, useApi } from './helpers/harness.js';

const ID = /^ntf_[0-9a-f]{32}$/;

describe('POST /api/v1/messages', () => {
  it('queues a template message as the worker reads it, and GET answers its status', async () => {
    const api = await useApi();
    const posted = await api.post(
      templateRequest({ template: { ...(templateRequest()['template'] as object), url: 'https://example.com/o/1' } }),
    );
    expect(posted.status).toBe(202);
    expect(posted.headers.get('content-type')).toMatch(/^application\/json/);
    const { id, status } = posted.json as { id: string; status: string };
    expect(id).toMatch(ID);
    expect(status).toBe('queued');

    const jobs = await api.queue.getJobs();
    expect(jobs).toHaveLength(1);
    const payload = QUEUES.notify.schema.parse(jobs[0]?.data);
    expect(payload).toMatchObject({
      v: 1,
      appId: APP_ID,
      id,
      to: 'oUser-0001',
      send: {
        kind: 'template',
        template_id: 'TPL-order-shipped',
        url: 'https://example.com/o/1',
        data: { thing1: { value: 'Your order' }, time2: { value: '2024-05-01' } },
      },
    });
    // The worker derives client_msg_id from the id; it is not the caller's to set.
    expect(JSON.stringify(jobs[0]?.data)).not.toContain('client_msg_id');
    expect(jobs[0]?.id).toBe(QUEUES.notify.jobId(payload));

    const got = await api.request(`/api/v1/messages/${id}`);
    expect(got.status).toBe(200);
    expect(got.json).toEqual({ id, kind: 'template', account: APP_ID, to: 'oUser-0001', status: 'queued' });
  });

  it('queues a subscribe notification to a named account', async () => {
    const api = await useApi({ env: { WECHAT_APPID: undefined, WXQ_ACCOUNTS_FILE: await accountsFile() } });
    const posted = await api.post({
      account: OTHER_APP_ID,
      to: 'oUser-0002',
      subscribe: { id: 'SUB-1', data: { thing1: { value: 'x' } }, page: 'pages/index' },
    });
    expect(posted.status).toBe(202);
    const [job] = await api.queue.getJobs();
    expect(QUEUES.notify.schema.parse(job?.data)).toMatchObject({
      appId: OTHER_APP_ID,
      send: { kind: 'subscribe', template_id: 'SUB-1', page: 'pages/index' },
    });
    const got = await api.request(`/api/v1/messages/${(posted.json as { id: string }).id}`);
    expect(got.json).toMatchObject({ kind: 'subscribe', account: OTHER_APP_ID });
  });

  it("queues a customer-service message as an outbound job in the user's lane, and GET answers its kind", async () => {
    const api = await useApi();
    const outbound = new Queue(QUEUES.outbound.name, { connection: api.redis, prefix: api.config.queuePrefix });
    onTestFinished(async () => {
      await outbound.obliterate({ force: true });
      await outbound.close();
    });
    const posted = await api.post({
      to: 'oUser-0003',
      customerService: { msgtype: 'text', text: { content: 'Your parcel is at the door' } },
    });
    expect(posted.status).toBe(202);
    const { id } = posted.json as { id: string };
    expect(id).toMatch(ID);
    // Not a notify job: a reply without a push, sent by the outbound queue within the user's quota.
    expect(await api.jobCount()).toBe(0);
    const [job] = await outbound.getJobs();
    expect(QUEUES.outbound.schema.parse(job?.data)).toMatchObject({
      appId: APP_ID,
      notification: id,
      reply: { kind: 'message', message: { touser: 'oUser-0003', msgtype: 'text' } },
    });
    const lane = await api.redis.zrange(
      createKeys(api.config.queuePrefix).lane(QUEUES.outbound.name, APP_ID, 'oUser-0003'),
      0,
      -1,
    );
    expect(lane).toEqual([job?.id]);
    const got = await api.request(`/api/v1/messages/${id}`);
    expect(got.json).toEqual({ id, kind: 'customerService', account: APP_ID, to: 'oUser-0003', status: 'queued' });
  });

  it('answers 404 unknown_account for an account this deployment does not serve, queueing nothing', async () => {
    const api = await useApi();
    const answer = await api.post(templateRequest({ account: OTHER_APP_ID }));
    expect(answer.status).toBe(404);
    expect(errorCodeOf(answer)).toBe('unknown_account');
    expect(await api.jobCount()).toBe(0);
  });
});

describe('Idempotency-Key', () => {
  it('the same key and body answer the same id and queue one job; another body is 409, still one job', async () => {
    const api = await useApi();
    const key = { 'idempotency-key': 'order-1234-shipped' };
    const first = await api.post(templateRequest(), key);
    expect(first.status).toBe(202);
    // The same request with its keys in another order and the default account named is the same request.
    const reordered = { template: templateRequest()['template'], to: 'oUser-0001', account: APP_ID };
    const second = await api.post(reordered, key);
    expect(second.status).toBe(202);
    expect(second.json).toEqual(first.json);
    expect(await api.jobCount()).toBe(1);

    const conflict = await api.post(templateRequest({ to: 'oUser-other' }), key);
    expect(conflict.status).toBe(409);
    expect(errorCodeOf(conflict)).toBe('idempotency_conflict');
    expect(await api.jobCount()).toBe(1);

    // Without a key, or with another key, the same body is a new message.
    const unkeyed = await api.post(templateRequest());
    expect((unkeyed.json as { id: string }).id).not.toBe((first.json as { id: string }).id);
    expect(await api.jobCount()).toBe(2);
  });

  it('concurrent identical requests with one key make one message and one job', async () => {
    const api = await useApi();
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => api.post(templateRequest(), { 'idempotency-key': 'burst-1' })),
    );
    expect(answers.map((a) => a.status)).toEqual(answers.map(() => 202));
    expect(new Set(answers.map((a) => (a.json as { id: string }).id)).size).toBe(1);
    expect(await api.jobCount()).toBe(1);
  });

  it.each([
    ['longer than 256 characters', 'k'.repeat(257)],
    ['a tab', 'a\tb'],
    ['empty', ''],
  ])('refuses a key %s with 400, queueing nothing', async (_what, key) => {
    const api = await useApi();
    const answer = await api.post(templateRequest(), { 'idempotency-key': key });
    expect(answer.status).toBe(400);
    expect(errorCodeOf(answer)).toBe('invalid_idempotency_key');
    expect(await api.jobCount()).toBe(0);
  });

  it('accepts a key of exactly 256 printable characters', async () => {
    const api = await useApi();
    expect((await api.post(templateRequest(), { 'idempotency-key': `${'k'.repeat(255)}~` })).status).toBe(202);
  });
});

describe('GET /api/v1/messages/:id', () => {
  it('answers 404 for an id that is well shaped but unknown, and for anything not shaped like one', async () => {
    const api = await useApi();
    for (const path of [
      `ntf_${'0'.repeat(32)}`,
      `ntf_${'A'.repeat(32)}`,
      `ntf_${'0'.repeat(31)}`,
      `ntf_${'0'.repeat(33)}`,
      `ntf_${'0'.repeat(31)}%00`,
      `ntf_${'0'.repeat(31)}%0A`,
      '..%2F..%2Fetc',
      'x'.repeat(5000),
    ]) {
      const answer = await api.request(`/api/v1/messages/${path}`);
      expect(answer.status, path).toBe(404);
      expect(errorCodeOf(answer)).toBe('not_found');
    }
  });

  it('answers 400 for a path whose escapes do not decode', async () => {
    const api = await useApi();
    const answer = await api.request('/api/v1/messages/%E0%A4%A');
    expect(answer.status).toBe(400);
    expect(errorCodeOf(answer)).toBe('invalid_request');
  });
});

describe('routes', () => {
  it('answers JSON 404 for an unknown route and 405 with Allow for a known path with another method', async () => {
    const api = await useApi();
    const unknown = await api.request('/api/v2/messages');
    expect(unknown.status).toBe(404);
    expect(unknown.json).toEqual({ error: { code: 'not_found', message: 'no such route' } });
    const wrongMethod = await api.request('/api/v1/messages');
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('POST');
    expect(errorCodeOf(wrongMethod)).toBe('method_not_allowed');
    expect((await api.request(`/api/v1/messages/ntf_${'0'.repeat(32)}`, { method: 'DELETE' })).status).toBe(405);
  });

  it('serves /healthz and /readyz without a token', async () => {
    const api = await useApi();
    expect(await api.request('/healthz', { headers: { authorization: undefined } })).toMatchObject({
      status: 200,
      json: { status: 'ok' },
    });
    expect(await api.request('/readyz', { headers: { authorization: undefined } })).toMatchObject({
      status: 200,
      json: { status: 'ready' },
    });
  });
});

async function accountsFile(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'wxq-api-'));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'accounts.json');
  await writeFile(file, JSON.stringify([{ appId: APP_ID }, { appId: OTHER_APP_ID }]));
  return file;
}
