import { describe, expect, it } from 'vitest';
import { classicToken, getJson, startTestSimulator } from '../../../test/helpers.js';

describe('GET /cgi-bin/getcallbackip (docs/wechat-protocol.md §5.5)', () => {
  it('answers the loopback address by default', async () => {
    const sim = await startTestSimulator();
    const token = await classicToken(sim);
    expect((await getJson(`${sim.url}/cgi-bin/getcallbackip?access_token=${token}`)).json).toEqual({
      ip_list: ['127.0.0.1'],
    });
  });

  it('answers the configured list, CIDR ranges included', async () => {
    const sim = await startTestSimulator({ callbackIps: ['106.55.206.146', '101.226.103.0/25'] });
    const token = await classicToken(sim);
    expect((await getJson(`${sim.url}/cgi-bin/getcallbackip?access_token=${token}`)).json).toEqual({
      ip_list: ['106.55.206.146', '101.226.103.0/25'],
    });
  });
});
