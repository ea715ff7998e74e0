import { describe, expect, it } from 'vitest';
import { SECOND_TOKEN, TOKEN, errorCodeOf, templateRequest, useApi } from './helpers/harness.js';

const ROUTES = [
  { method: 'POST', path: '/api/v1/messages' },
  { method: 'GET', path: `/api/v1/messages/ntf_${'0'.repeat(32)}` },
  { method: 'GET', path: '/api/v1/openapi.json' },
  // Unknown paths too: a caller without a token learns nothing of the routes.
  { method: 'GET', path: '/api/v2/anything' },
] as const;

describe('bearer auth', () => {
  it.each([
    ['no Authorization header', undefined],
    ['an empty one', ''],
    ['Bearer without a token', 'Bearer '],
    ['a wrong token', 'Bearer wrong-token-0123456789abcdef'],
    ['the token with a character more', `Bearer ${TOKEN}x`],
    ['a prefix of the token', `Bearer ${TOKEN.slice(0, -1)}`],
    ['the token as Basic credentials', `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}`],
    ['the token without the scheme', TOKEN],
    ['two tokens', `Bearer ${TOKEN} ${SECOND_TOKEN}`],
  ])('answers 401 with WWW-Authenticate: Bearer for %s, on every route', async (_what, authorization) => {
    const api = await useApi();
    for (const { method, path } of ROUTES) {
      const answer = await api.request(path, {
        method,
        headers: { authorization, 'content-type': 'application/json' },
        ...(method === 'POST' ? { body: JSON.stringify(templateRequest()) } : {}),
      });
      expect(answer.status, `${method} ${path}`).toBe(401);
      expect(answer.headers.get('www-authenticate')).toBe('Bearer');
      expect(errorCodeOf(answer)).toBe('unauthorized');
    }
    expect(await api.jobCount()).toBe(0);
  });

  it('accepts every configured token, and the scheme in any case', async () => {
    const api = await useApi();
    for (const authorization of [`Bearer ${TOKEN}`, `Bearer ${SECOND_TOKEN}`, `bearer ${TOKEN}`, `BEARER ${TOKEN}`]) {
      expect((await api.post(templateRequest(), { authorization })).status, authorization).toBe(202);
    }
    expect(await api.jobCount()).toBe(4);
  });
});
