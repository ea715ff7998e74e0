// The campaign routes against a real Redis: what a campaign stores, how it is read, paged and
// controlled, and what bad requests get. No worker runs here: recipients stay queued.
import { describe, expect, it } from 'vitest';
import { APP_ID, errorCodeOf, useApi } from './helpers/harness.js';

const CAMPAIGN_ID = /^cmp_[0-9a-f]{32}$/;
const template = { id: 'TPL_DIGEST', data: { thing1: { value: 'This week' } } };

function postCampaign(api: Awaited<ReturnType<typeof useApi>>, body: unknown, headers: Record<string, string> = {}) {
  return api.request('/api/v1/campaigns', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

const users = (n: number, from = 0) =>
  Array.from({ length: n }, (_, i) => `oUser-${String(from + i).padStart(6, '0')}`);

describe('POST /api/v1/campaigns', () => {
  it('accepts recipients once each, stores them for the workers and queues no job itself', async () => {
    const api = await useApi();
    const recipients = [...users(5), 'oUser-000001', { to: 'oUser-000099', data: { thing1: { value: 'Yours' } } }];
    const posted = await postCampaign(api, { name: 'digest', template, recipients });
    expect(posted.status).toBe(202);
    const { id, total } = posted.json as { id: string; total: number };
    expect(id).toMatch(CAMPAIGN_ID);
    expect(total).toBe(6);
    expect(await api.jobCount()).toBe(0);

    const got = await api.request(`/api/v1/campaigns/${id}`);
    expect(got.status).toBe(200);
    expect(got.json).toMatchObject({
      id,
      account: APP_ID,
      name: 'digest',
      kind: 'template',
      templateId: 'TPL_DIGEST',
      status: 'running',
      total: 6,
      counts: { queued: 6, sent: 0, delivered: 0, failed: 0, refused: 0 },
    });
    const listed = await api.request('/api/v1/campaigns');
    expect((listed.json as { campaigns: { id: string }[] }).campaigns.map((c) => c.id)).toEqual([id]);
  });

  it('accepts 100,000 recipients and refuses 100,001, queueing nothing', async () => {
    const api = await useApi();
    const tooMany = await postCampaign(api, { template, recipients: users(100_001) });
    expect(tooMany.status).toBe(400);
    expect(errorCodeOf(tooMany)).toBe('invalid_request');
    expect((tooMany.json as { error: { message: string } }).error.message).toMatch(/recipients/);
    expect(await api.redis.keys(`${api.config.queuePrefix}:cmp*`)).toEqual([]);

    const accepted = await postCampaign(api, { template, recipients: users(100_000) });
    expect(accepted.status).toBe(202);
    const { id, total } = accepted.json as { id: string; total: number };
    expect(total).toBe(100_000);
    expect(await api.redis.llen(`${api.config.queuePrefix}:cmp_to:${id}`)).toBe(100_000);
  });

  it('refuses bad campaigns with the field named', async () => {
    const api = await useApi();
    const cases: [unknown, RegExp][] = [
      [{ template, recipients: [] }, /recipients/],
      [{ recipients: ['oUser'] }, /template/],
      [{ template, subscribe: { id: 'S', data: {} }, recipients: ['oUser'] }, /template/],
      [{ template, recipients: ['has space'] }, /recipients/],
      ['{"template":{"id":"T","data":{}},"recipients":[{"to":"o","data":{"__proto__":{"value":"x"}}}]}', /recipients/],
      [
        { subscribe: { id: 'S', data: {} }, recipients: [{ to: 'o', data: { k: { value: 'v', color: '#f00' } } }] },
        /color/,
      ],
      [{ template, recipients: ['oUser'], extra: 1 }, /extra|unrecognized/i],
    ];
    for (const [body, field] of cases) {
      const answer = await postCampaign(api, body);
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect((answer.json as { error: { message: string } }).error.message, JSON.stringify(body)).toMatch(field);
    }
    expect((await postCampaign(api, '{"template":')).status).toBe(400);
    expect((await postCampaign(api, { template, recipients: ['o'], account: 'wxnotours' })).status).toBe(404);
    const noAuth = await api.request('/api/v1/campaigns', { headers: { authorization: undefined } });
    expect(noAuth.status).toBe(401);
    expect(await api.redis.keys(`${api.config.queuePrefix}:cmp*`)).toEqual([]);
  });

  it('answers the same campaign for a repeated Idempotency-Key and 409 for another body', async () => {
    const api = await useApi();
    const body = { template, recipients: users(3) };
    const first = await postCampaign(api, body, { 'idempotency-key': 'weekly-2026-49' });
    const again = await postCampaign(api, body, { 'idempotency-key': 'weekly-2026-49' });
    expect(again.status).toBe(202);
    expect(again.json).toEqual(first.json);
    const { id } = first.json as { id: string };
    expect(await api.redis.llen(`${api.config.queuePrefix}:cmp_to:${id}`)).toBe(3);
    const other = await postCampaign(api, { template, recipients: users(4) }, { 'idempotency-key': 'weekly-2026-49' });
    expect(other.status).toBe(409);
    expect(errorCodeOf(other)).toBe('idempotency_conflict');
  });
});

describe('a campaign', () => {
  it('is paused, resumed and cancelled; a move from the wrong status is 409', async () => {
    const api = await useApi();
    const { id } = (await postCampaign(api, { template, recipients: users(3) })).json as { id: string };
    const act = (action: string) => api.request(`/api/v1/campaigns/${id}/${action}`, { method: 'POST' });
    expect((await act('resume')).status).toBe(409);
    const paused = await act('pause');
    expect(paused.status, paused.text).toBe(200);
    expect(paused.json).toMatchObject({ status: 'paused', reason: 'operator' });
    expect((await act('pause')).status).toBe(409);
    expect((await act('resume')).json).toMatchObject({ status: 'running' });
    expect((await act('cancel')).json).toMatchObject({ status: 'cancelled' });
    expect(errorCodeOf(await act('resume'))).toBe('conflict');
    const page = await api.request(`/api/v1/campaigns/${id}/recipients`);
    expect((page.json as { recipients: { status: string; reason?: string }[] }).recipients).toEqual(
      users(3).map((to) => expect.objectContaining({ to, status: 'refused', reason: 'cancelled' }) as unknown),
    );
  });

  it('pages through its recipients with a cursor, filtered by status', async () => {
    const api = await useApi();
    const { id } = (await postCampaign(api, { template, recipients: users(250) })).json as { id: string };
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let pages = 0; pages < 10; pages++) {
      const query = cursor === undefined ? '?limit=100' : `?limit=100&cursor=${cursor}`;
      const page = (await api.request(`/api/v1/campaigns/${id}/recipients${query}`)).json as {
        recipients: { to: string; id: string; status: string }[];
        cursor?: string;
      };
      seen.push(...page.recipients.map((r) => r.to));
      for (const r of page.recipients)
        expect(r).toMatchObject({ status: 'queued', id: expect.stringMatching(/^ntf_/) as unknown });
      cursor = page.cursor;
      if (cursor === undefined) break;
    }
    expect(seen).toEqual(users(250));
    const sent = await api.request(`/api/v1/campaigns/${id}/recipients?status=sent`);
    expect((sent.json as { recipients: unknown[] }).recipients).toEqual([]);
    for (const bad of ['?status=lost', '?cursor=abc', '?limit=0', '?limit=5000'])
      expect((await api.request(`/api/v1/campaigns/${id}/recipients${bad}`)).status, bad).toBe(400);
  });

  it('is 404 when unknown or not shaped like an id', async () => {
    const api = await useApi();
    expect((await api.request(`/api/v1/campaigns/cmp_${'0'.repeat(32)}`)).status).toBe(404);
    expect((await api.request('/api/v1/campaigns/..%2f..')).status).toBe(404);
    expect((await api.request(`/api/v1/campaigns/cmp_${'0'.repeat(32)}/pause`, { method: 'POST' })).status).toBe(404);
  });
});
