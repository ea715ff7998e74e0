// The notification API (`@wxq/api`) in this process, for the benches that start campaigns the way
// a company's service would: POST /api/v1/campaigns over HTTP, one template to many recipients.
import { randomUUID } from 'node:crypto';
import { loadNotifyApiConfig } from '@wxq/config';
import { startApi } from '@wxq/api';
import { createLogger } from '@wxq/logging';
import { BENCH_ACCOUNT } from './push-fixture.js';

/** The template every bench campaign sends: the simulator's default account has it. */
export const BENCH_TEMPLATE = { id: 'demo_template', data: { thing1: { value: 'Weekly digest' } } } as const;

export interface CampaignApi {
  /** Creates a campaign of BENCH_TEMPLATE to `recipients`; answers its id. @throws unless answered 202 */
  create(recipients: readonly string[]): Promise<string>;
  /** Its status and counts, as GET /api/v1/campaigns/:id answers them. */
  get(id: string): Promise<{ readonly status: string; readonly counts: Readonly<Record<string, number>> }>;
  cancel(id: string): Promise<void>;
  stop(): Promise<void>;
}

export async function startCampaignApi(redisUrl: string, prefix: string): Promise<CampaignApi> {
  const token = randomUUID();
  const config = loadNotifyApiConfig({
    WECHAT_APPID: BENCH_ACCOUNT.appId,
    REDIS_URL: redisUrl,
    WXQ_QUEUE_PREFIX: prefix,
    API_HOST: '127.0.0.1',
    API_PORT: '0',
    WXQ_API_TOKENS: token,
  });
  const api = await startApi(config, { logger: createLogger({ level: 'warn', name: 'bench-api' }) });
  const call = async (method: 'GET' | 'POST', path: string, body?: unknown) => {
    const answer = await fetch(`http://127.0.0.1:${String(api.port)}/api/v1/campaigns${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const json = (await answer.json()) as Record<string, unknown>;
    if (answer.status >= 300)
      throw new Error(`${method} campaigns${path}: ${String(answer.status)} ${JSON.stringify(json)}`);
    return json;
  };
  return {
    async create(recipients) {
      const { id } = await call('POST', '', { template: BENCH_TEMPLATE, recipients });
      if (typeof id !== 'string') throw new Error('the campaign was accepted without an id');
      return id;
    },
    async get(id) {
      const { status, counts } = await call('GET', `/${id}`);
      return { status: String(status), counts: counts as Record<string, number> };
    },
    async cancel(id) {
      await call('POST', `/${id}/cancel`);
    },
    stop: () => api.stop(),
  };
}

/** `count` distinct openids of 28 characters (as WeChat's are), unique to `tag`. */
export function benchOpenIds(tag: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `o${tag}${String(i).padStart(27 - tag.length, '0')}`);
}
