import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type OpenedPush,
  type PushAccount,
  type PushMode,
  createMessageCrypto,
  openPush,
  verifyEcho,
} from '@wxq/wechat';
import { describe, expect, it, onTestFinished } from 'vitest';
import { startTestSimulator } from '../../test/helpers.js';
import { buildHandshake, buildPush } from './build-push.js';
import { InteractionRefusedError, createInteractionClient } from './interaction-client.js';
import { createMessage } from './messages.js';
import { sendHandshake, sendPush } from './send-push.js';

const ACCOUNT = {
  appId: 'wx0123456789abcdef',
  token: 'proto-check-token',
  encodingAESKey: 'Zm9yLXRlc3Qtb25seS1wcm90by1jaGVjay1rZXktMDE',
};
const OPENER: PushAccount = {
  appId: ACCOUNT.appId,
  token: ACCOUNT.token,
  crypto: createMessageCrypto({ appId: ACCOUNT.appId, encodingAESKey: ACCOUNT.encodingAESKey }),
};

interface Received {
  readonly path: string;
  readonly contentType: string | undefined;
  readonly opened: OpenedPush;
}

/** A minimal gateway built on @wxq/wechat: verifies, decrypts, answers `success` (docs/wechat-protocol.md §5.2). */
async function startMiniGateway(delayMs = 0): Promise<{ url: string; received: Received[] }> {
  const received: Received[] = [];
  const answer = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://gateway.invalid');
    const query = Object.fromEntries(url.searchParams);
    const chunks: Buffer[] = [];
    for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
    if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
    try {
      if (req.method === 'GET') {
        res.end(verifyEcho(OPENER, query));
        return;
      }
      const opened = openPush(OPENER, query, Buffer.concat(chunks), {
        nowSeconds: Math.floor(Date.now() / 1000),
        maxSkewSeconds: 300,
      });
      received.push({ path: url.pathname, contentType: req.headers['content-type'], opened });
      res.end('success');
    } catch {
      res.statusCode = 401;
      res.end('bad push');
    }
  };
  const server = createServer((req, res) => void answer(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
        server.closeAllConnections();
      }),
  );
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received };
}

describe('sendPush', () => {
  it.each<PushMode>(['plaintext', 'compatible', 'safe'])('delivers a %s push that a gateway opens', async (mode) => {
    const gateway = await startMiniGateway();
    const message = createMessage.text('hello');
    const response = await sendPush(
      `${gateway.url}/`,
      `/wechat/${ACCOUNT.appId}`,
      buildPush({ account: ACCOUNT, mode, message }),
    );
    expect(response).toEqual({ status: 200, body: 'success' });
    expect(gateway.received).toEqual([
      {
        path: `/wechat/${ACCOUNT.appId}`,
        contentType: 'text/xml',
        opened: { mode, message, ...(mode === 'plaintext' ? {} : { keyIndex: 0 }) },
      },
    ]);
  });

  it('reports what the gateway answered to a forged push', async () => {
    const gateway = await startMiniGateway();
    const push = buildPush({
      account: { ...ACCOUNT, token: 'wrong-token' },
      mode: 'safe',
      message: createMessage.text('x'),
    });
    expect(await sendPush(gateway.url, '/wechat', push)).toEqual({ status: 401, body: 'bad push' });
  });

  it('gives up like WeChat when the gateway is too slow', async () => {
    const gateway = await startMiniGateway(500);
    const push = buildPush({ account: ACCOUNT, mode: 'plaintext', message: createMessage.text('x') });
    await expect(sendPush(gateway.url, '/wechat', push, { timeoutMs: 50 })).rejects.toMatchObject({
      name: 'TimeoutError',
    });
  });
});

describe('sendPush with a simulator: the user action is recorded before the push leaves', () => {
  it('tells an in-process simulator', async () => {
    const gateway = await startMiniGateway();
    const sim = await startTestSimulator({ enforceQuota: true });
    const message = createMessage.text('hello');
    const push = buildPush({ account: ACCOUNT, mode: 'safe', message });
    expect(await sendPush(gateway.url, '/wechat', push, { simulator: sim })).toEqual({ status: 200, body: 'success' });
    expect(sim.interactions).toMatchObject([
      { appId: ACCOUNT.appId, openId: message.FromUserName, grant: 'message', outcome: 'applied' },
    ]);
  });

  it('tells a simulator over HTTP, even when the gateway is down', async () => {
    const sim = await startTestSimulator({ enforceQuota: true });
    const message = createMessage.subscribe();
    const push = buildPush({ account: ACCOUNT, mode: 'plaintext', message });
    // WeChat opens the window when the user acts, whether or not the push then arrives (docs/wechat-protocol.md §7.4).
    await expect(
      sendPush('http://127.0.0.1:1', '/wechat', push, { simulator: createInteractionClient(sim.url) }),
    ).rejects.toThrow();
    expect(sim.sendWindows(ACCOUNT.appId, message.FromUserName)).toMatchObject([{ kind: 'event', sendsLeft: 3 }]);
  });

  it('does not deliver when the simulator refuses, and says why', async () => {
    const gateway = await startMiniGateway();
    const sim = await startTestSimulator({ enforceQuota: true });
    const push = buildPush({
      account: { ...ACCOUNT, appId: 'wxnotsimulated0000' },
      mode: 'plaintext',
      message: createMessage.text('x'),
    });
    const refused = sendPush(gateway.url, '/wechat', push, { simulator: createInteractionClient(sim.url) });
    await expect(refused).rejects.toBeInstanceOf(InteractionRefusedError);
    await expect(refused).rejects.toMatchObject({
      status: 404,
      reason: expect.stringMatching(/no such account/) as unknown,
    });
    expect(gateway.received).toEqual([]);
  });

  it('refuses a push with no message to record', async () => {
    const gateway = await startMiniGateway();
    const sim = await startTestSimulator();
    const push = buildPush({ account: ACCOUNT, mode: 'plaintext', message: '<xml><odd/></xml>' });
    expect(push.interaction).toBeUndefined();
    await expect(sendPush(gateway.url, '/wechat', push, { simulator: sim })).rejects.toThrow(TypeError);
    expect(gateway.received).toEqual([]);
  });
});

describe('sendHandshake', () => {
  it('gets echostr back from a gateway that verifies it', async () => {
    const gateway = await startMiniGateway();
    const handshake = buildHandshake({ token: ACCOUNT.token });
    expect(await sendHandshake(gateway.url, 'wechat', handshake)).toEqual({ status: 200, body: handshake.echostr });
    expect((await sendHandshake(gateway.url, '/wechat', buildHandshake({ token: 'other' }))).status).toBe(401);
  });
});
