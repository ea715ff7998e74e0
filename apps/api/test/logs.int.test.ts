import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { TOKEN, templateRequest, useApi } from './helpers/harness.js';

describe('request logs', () => {
  it('end each request with one info line: method, route pattern, status, duration', async () => {
    const api = await useApi();
    const posted = await api.post(templateRequest());
    const id = (posted.json as { id: string }).id;
    await api.request(`/api/v1/messages/${id}`);
    await api.request('/api/v1/nowhere');
    await api.request('/api/v1/openapi.json', { headers: { authorization: undefined } });

    const lines = api.logs.lines().filter((line) => line['msg'] === 'request' && line['route'] !== '/readyz');
    expect(lines).toEqual([
      expect.objectContaining({ level: 30, method: 'POST', route: '/api/v1/messages', status: 202, messageId: id }),
      expect.objectContaining({ level: 30, method: 'GET', route: '/api/v1/messages/:id', status: 200 }),
      expect.objectContaining({ level: 30, method: 'GET', route: null, status: 404, error: 'not_found' }),
      expect.objectContaining({ level: 30, method: 'GET', route: null, status: 401, error: 'unauthorized' }),
    ]);
    for (const line of lines) expect(line['durationMs']).toEqual(expect.any(Number));
    // The id is the API's own; the path of a GET (the caller's id) is not logged.
    expect(JSON.stringify(lines.slice(1))).not.toContain(id);
  });

  it('never hold the body’s values, the Authorization header or a token', async () => {
    const api = await useApi({ env: { LOG_LEVEL: 'trace' } });
    const value = `value-${randomUUID()}`;
    const openId = `oUser-${randomUUID()}`;
    const wrongToken = `wrong-${randomUUID()}`;
    const key = `key-${randomUUID()}`;
    await api.post(templateRequest({ to: openId, template: { id: 'T', data: { thing1: { value } } } }), {
      'idempotency-key': key,
    });
    await api.post(templateRequest({ template: { id: 'T', data: { thing1: { value: `${value}x`.repeat(2000) } } } }));
    await api.post(`{"to": "${value}", broken`);
    await api.post(templateRequest({ template: { id: 'T', data: { thing1: { value } } } }), {
      authorization: `Bearer ${wrongToken}`,
    });
    await api.request(`/api/v1/messages/${value}`);
    const text = api.logs.text();
    expect(api.logs.lines().filter((line) => line['msg'] === 'request').length).toBeGreaterThanOrEqual(5);
    for (const secret of [value, openId, TOKEN, wrongToken, key, 'Bearer', 'authorization']) {
      expect(text).not.toContain(secret);
    }
  });
});
