import { parsePrometheusText, sampleValue, signPlaintextPush } from '@wxq/testing';
import { describe, expect, it } from 'vitest';
import { useGateway } from './helpers/harness.js';
import { basicAuth, send } from './helpers/http.js';
import { timed, usePrivateRedis } from './helpers/private-redis.js';
import { APP_ID, DEFAULT_ACCOUNT, textXml } from './helpers/pushes.js';

const PASSWORD = 'correct-horse-battery';

describe('push answer time against WeChat 5 s', () => {
  it('counts an answer slower than 4 s as a near miss', async () => {
    const redis = await usePrivateRedis();
    const gateway = await useGateway({
      redisUrl: redis.url,
      // Just under WeChat's 5 s, so a Redis stalled for 4.2 s still confirms in time.
      env: { ENQUEUE_TIMEOUT_MS: '4900', ADMIN_PASSWORD: PASSWORD },
    });
    // Every client waits until the pause ends: Redis confirms the job after about 4.2 s.
    await gateway.redis.call('CLIENT', 'PAUSE', '4200', 'ALL');
    const slow = await timed(() => gateway.push(signPlaintextPush(textXml(), { account: DEFAULT_ACCOUNT })));
    expect(slow.value).toMatchObject({ status: 200, body: 'success' });
    expect(slow.ms).toBeGreaterThan(4_000);
    expect((await gateway.push(signPlaintextPush(textXml(), { account: DEFAULT_ACCOUNT }))).status).toBe(200);

    const scrape = await send(`${gateway.adminUrl ?? ''}/metrics`, {
      headers: { authorization: basicAuth('admin', PASSWORD) },
    });
    const samples = parsePrometheusText(scrape.body);
    const bucket = (le: string) =>
      sampleValue(samples, 'wxq_gateway_push_answer_seconds_bucket', { account: APP_ID, answer: 'ack', le });
    expect(sampleValue(samples, 'wxq_gateway_push_answers_slow_total', { account: APP_ID })).toBe(1);
    expect(bucket('1')).toBe(1);
    expect(bucket('4')).toBe(1);
    expect(bucket('5')).toBe(2);
  });
});
