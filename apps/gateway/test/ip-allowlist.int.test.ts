import { signHandshake, signPlaintextPush } from '@wxq/testing';
import { describe, expect, it } from 'vitest';
import { type TestGateway, useGateway } from './helpers/harness.js';
import { DEFAULT_ACCOUNT, textXml } from './helpers/pushes.js';

const WECHAT_RANGE = '203.0.113.0/24';
const IN_RANGE = '203.0.113.7';
const OUTSIDE = '198.51.100.9';

function handshakeFrom(gateway: TestGateway, forwardedFor?: string): Promise<number> {
  const headers = forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor };
  return gateway
    .send(`/wechat?${signHandshake('hi', { account: DEFAULT_ACCOUNT })}`, { headers })
    .then((answer) => answer.status);
}

describe('WECHAT_IP_ALLOWLIST', () => {
  it.each(['true', '1'])('with TRUST_PROXY=%s checks the X-Forwarded-For client address', async (trustProxy) => {
    const gateway = await useGateway({ env: { TRUST_PROXY: trustProxy, WECHAT_IP_ALLOWLIST: WECHAT_RANGE } });
    expect(await handshakeFrom(gateway, IN_RANGE)).toBe(200);
    expect(await handshakeFrom(gateway, OUTSIDE)).toBe(403);
    // The proxy itself (the socket, 127.0.0.1) is not on the list.
    expect(await handshakeFrom(gateway)).toBe(403);

    const xml = textXml();
    expect(
      await gateway.push(signPlaintextPush(xml, { account: DEFAULT_ACCOUNT }), '/wechat', {
        'x-forwarded-for': OUTSIDE,
      }),
    ).toMatchObject({ status: 403 });
    expect(await gateway.jobCount()).toBe(0);
    expect(
      await gateway.push(signPlaintextPush(xml, { account: DEFAULT_ACCOUNT }), '/wechat', {
        'x-forwarded-for': IN_RANGE,
      }),
    ).toMatchObject({ status: 200, body: 'success' });
    expect(await gateway.jobCount()).toBe(1);
  });

  it('with TRUST_PROXY=1 trusts one hop only: the address the proxy saw, not what the client claimed', async () => {
    const gateway = await useGateway({ env: { TRUST_PROXY: '1', WECHAT_IP_ALLOWLIST: WECHAT_RANGE } });
    expect(await handshakeFrom(gateway, `${IN_RANGE}, ${OUTSIDE}`)).toBe(403);
    expect(await handshakeFrom(gateway, `${OUTSIDE}, ${IN_RANGE}`)).toBe(200);
  });

  it('without TRUST_PROXY checks the socket address and ignores X-Forwarded-For', async () => {
    const refusing = await useGateway({ env: { WECHAT_IP_ALLOWLIST: WECHAT_RANGE } });
    expect(await handshakeFrom(refusing, IN_RANGE)).toBe(403);
    expect(
      (
        await refusing.push(signPlaintextPush(textXml(), { account: DEFAULT_ACCOUNT }), '/wechat', {
          'x-forwarded-for': IN_RANGE,
        })
      ).status,
    ).toBe(403);
    expect(await refusing.jobCount()).toBe(0);

    const loopback = await useGateway({ env: { WECHAT_IP_ALLOWLIST: `${WECHAT_RANGE},127.0.0.1` } });
    expect(await handshakeFrom(loopback, OUTSIDE)).toBe(200);
    expect(
      (
        await loopback.push(signPlaintextPush(textXml(), { account: DEFAULT_ACCOUNT }), '/wechat', {
          'x-forwarded-for': OUTSIDE,
        })
      ).status,
    ).toBe(200);
  });

  it('is open to everyone when empty', async () => {
    const gateway = await useGateway({ env: { WECHAT_IP_ALLOWLIST: '' } });
    expect(await handshakeFrom(gateway)).toBe(200);
    expect(await handshakeFrom(gateway, OUTSIDE)).toBe(200);
  });
});
