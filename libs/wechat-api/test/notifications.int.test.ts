import type { SubscribeMessage, TemplateMessage } from '@wxq/wechat';
import { describe, expect, it } from 'vitest';
import { API_PATHS } from '../src/client.js';
import { WechatErrcodeError } from '../src/errors.js';
import { judgeSend } from '../src/send-verdict.js';
import { ACCOUNT, OPENID, errcodesOn, rejectionOf, startHarness } from './harness.js';

// sendTemplate and sendSubscribe against the team's simulator (docs/wechat-protocol.md §11, §12),
// wired as the worker wires the client: the shared token store, real HTTP.

const TEMPLATE: TemplateMessage = {
  touser: OPENID,
  template_id: 'demo_template',
  client_msg_id: 'ntf_0123456789abcdef0123456789abcdef',
  data: { thing1: { value: 'Order 42 已发货' } },
};
const SUBSCRIBE: SubscribeMessage = {
  touser: OPENID,
  template_id: 'demo_subscribe_once',
  data: { thing1: { value: 'Order 42' } },
};

describe('sendTemplate against the simulator', () => {
  it('answers the msgid the simulator recorded, digit for digit above 2^53', async () => {
    const { sim, client } = await startHarness();
    const { msgid } = await client.sendTemplate(TEMPLATE);
    expect(BigInt(msgid)).toBeGreaterThan(2n ** 53n);
    expect(sim.templateSends).toMatchObject([{ ...TEMPLATE, msgid }]);
  });

  it('a repeat with the same client_msg_id within 10 minutes is not a second message (§11.1)', async () => {
    const { sim, client } = await startHarness();
    await client.sendTemplate(TEMPLATE);
    await client.sendTemplate(TEMPLATE);
    expect(sim.templateSends).toHaveLength(1);
  });

  it('40001 mid-run: one refresh, one retry, delivered', async () => {
    const { sim, client } = await startHarness();
    await client.sendTemplate({ ...TEMPLATE, client_msg_id: 'first' });
    sim.invalidateTokens(ACCOUNT.appId);
    await client.sendTemplate({ ...TEMPLATE, client_msg_id: 'second' });
    expect(errcodesOn(sim, API_PATHS.templateSend)).toStrictEqual([0, 40001, 0]);
    expect(sim.templateSends).toHaveLength(2);
  });

  it('an unknown template is 40037, which stops the campaign', async () => {
    const { client } = await startHarness();
    const error = await rejectionOf(client.sendTemplate({ ...TEMPLATE, template_id: 'no_such_template' }));
    expect(error).toBeInstanceOf(WechatErrcodeError);
    expect(judgeSend('template', error).action).toBe('stop_batch');
  });
});

describe('sendSubscribe against the simulator', () => {
  it('without consent 43101 (clear_consent); after one accept one send, then 43101 again (§12.1)', async () => {
    const { sim, client } = await startHarness();
    const refused = await rejectionOf(client.sendSubscribe(SUBSCRIBE));
    expect(refused).toMatchObject({ errcode: 43101, api: API_PATHS.subscribeSend });
    expect(judgeSend('subscribe', refused)).toMatchObject({ action: 'clear_consent', refusal: 'no_consent' });

    sim.subscribeConsent(ACCOUNT.appId, OPENID, SUBSCRIBE.template_id, 'accept');
    const sent = await client.sendSubscribe(SUBSCRIBE);
    expect(sim.subscribeSends).toHaveLength(1);
    expect(sent).toStrictEqual({ msgid: sim.subscribeSends[0]?.msgid });

    expect(await rejectionOf(client.sendSubscribe(SUBSCRIBE))).toMatchObject({ errcode: 43101 });
  });
});
