import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  buildXml,
  computeSignature,
  createMessageCrypto,
  parseInboundXml,
  parseXml,
  verifyMsgSignature,
} from '@wxq/wechat';
import { waitFor } from '@wxq/testing';
import { describe, expect, it, onTestFinished } from 'vitest';
import {
  ACCOUNT,
  OPENID,
  OTHER_ACCOUNT,
  classicToken,
  postRaw,
  rawMsgId,
  startTestSimulator,
  subscribeSendUrl,
  templateSendUrl,
} from '../../test/helpers.js';
import { buildPush } from '../push/build-push.js';
import { createMessage } from '../push/messages.js';
import type { SimulatorCallback } from './accounts.js';
import type { WechatApiSimulatorOptions } from './simulator.js';

// Delivery reports (docs/wechat-protocol.md §11.3, §12.1) pushed to a real HTTP listener standing in
// for the gateway: the XML and the signature are what buildPush produces.

const TOKEN = 'reporttoken';
const AES_KEY = 'Zm9yLXRlc3Qtb25seS1wcm90by1jaGVjay1rZXktMDE';
const TEMPLATE = { touser: OPENID, template_id: 'demo_template', data: { thing1: { value: 'Order 42' } } };
const LONG = { touser: OPENID, template_id: 'demo_subscribe_long', data: { thing1: { value: 'Shipped' } } };

interface Received {
  readonly path: string;
  readonly query: URLSearchParams;
  readonly body: string;
}

/** A callback that records every push and answers `answer` (default 200 `success`). */
async function startCallback(
  answer: () => { status: number; body: string } = () => ({ status: 200, body: 'success' }),
) {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://callback.invalid');
      received.push({ path: url.pathname, query: url.searchParams, body: Buffer.concat(chunks).toString('utf8') });
      const { status, body } = answer();
      res.writeHead(status, { 'content-type': 'text/plain' }).end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  onTestFinished(
    () =>
      new Promise<void>((resolve) =>
        server.close(() => {
          resolve();
        }),
      ),
  );
  return {
    url: `http://127.0.0.1:${port}/wechat`,
    received,
    close: () => {
      server.closeAllConnections();
    },
  };
}

async function startRig(callback: SimulatorCallback | undefined, options: Partial<WechatApiSimulatorOptions> = {}) {
  const sim = await startTestSimulator({
    accounts: [callback === undefined ? ACCOUNT : { ...ACCOUNT, callback }, OTHER_ACCOUNT],
    reportDelayMs: 0,
    ...options,
  });
  const token = await classicToken(sim);
  const sendTemplate = async (body: unknown = TEMPLATE): Promise<string> =>
    rawMsgId((await postRaw(templateSendUrl(sim, token), body)).text) ?? '';
  const sendSubscribe = async (body: unknown = LONG): Promise<string> =>
    rawMsgId((await postRaw(subscribeSendUrl(sim, token), body)).text) ?? '';
  return { sim, token, sendTemplate, sendSubscribe };
}

describe('delivery reports', () => {
  it('pushes TEMPLATESENDJOBFINISH, signed and laid out as buildPush does (plaintext)', async () => {
    const callback = await startCallback();
    const { sim, sendTemplate } = await startRig({ url: callback.url, token: TOKEN, originalId: 'gh_aaaaaaaaaaaa' });
    const msgid = await sendTemplate();
    await waitFor(() => sim.reports[0]?.state === 'delivered', { message: 'the report was delivered' });
    expect(callback.received).toHaveLength(1);
    const [push] = callback.received;
    const timestamp = push?.query.get('timestamp') ?? '';
    const nonce = push?.query.get('nonce') ?? '';
    expect(push?.path).toBe('/wechat');
    expect(push?.query.get('signature')).toBe(computeSignature([TOKEN, timestamp, nonce]));
    expect(push?.query.get('openid')).toBe(OPENID);
    const expected = buildPush({
      account: { appId: ACCOUNT.appId, token: TOKEN },
      mode: 'plaintext',
      message: createMessage.templateSendJobFinish(msgid, {
        openid: OPENID,
        toUserName: 'gh_aaaaaaaaaaaa',
        createTime: timestamp,
      }),
      timestamp,
      nonce,
    });
    expect(push?.body).toBe(expected.body);
    expect(push?.query.toString()).toBe(expected.query);
    // MsgID is bare digits, above 2^53, and parses back to the send's msgid.
    expect(push?.body).toContain(`<MsgID>${msgid}</MsgID><Status><![CDATA[success]]></Status>`);
    expect(parseInboundXml(push?.body ?? '')).toMatchObject({ Event: 'TEMPLATESENDJOBFINISH', MsgID: msgid });
    expect(sim.reports).toEqual([
      {
        appId: ACCOUNT.appId,
        kind: 'template',
        openId: OPENID,
        templateId: 'demo_template',
        msgid,
        status: 'success',
        state: 'delivered',
        attempts: 1,
        time: expect.any(Number) as unknown,
        answer: { status: 200, body: 'success' },
      },
    ]);
  });

  it('pushes subscribe_msg_sent_event sealed in safe mode, with a valid msg_signature', async () => {
    const callback = await startCallback();
    const { sim, sendSubscribe } = await startRig({ url: callback.url, token: TOKEN, encodingAESKey: AES_KEY });
    const msgid = await sendSubscribe();
    await waitFor(() => sim.reports[0]?.state === 'delivered', { message: 'the report was delivered' });
    const [push] = callback.received;
    const query = push?.query ?? new URLSearchParams();
    const outer = parseXml(push?.body ?? '');
    const encrypt = typeof outer['Encrypt'] === 'string' ? outer['Encrypt'] : '';
    expect(Object.keys(outer)).toEqual(['ToUserName', 'Encrypt']);
    expect(query.get('encrypt_type')).toBe('aes');
    expect(
      verifyMsgSignature({
        token: TOKEN,
        timestamp: query.get('timestamp') ?? '',
        nonce: query.get('nonce') ?? '',
        encrypt,
        msgSignature: query.get('msg_signature') ?? '',
      }),
    ).toBe(true);
    // decrypt checks the AppID sealed in the frame (docs/wechat-protocol.md §3.3).
    const opened = createMessageCrypto({ appId: ACCOUNT.appId, encodingAESKey: AES_KEY }).decrypt(encrypt);
    const expected = createMessage.subscribeMsgSent([{ templateId: 'demo_subscribe_long', msgId: msgid }], {
      openid: OPENID,
      createTime: query.get('timestamp') ?? '',
    });
    expect(opened.message).toBe(buildXml(expected as unknown as Parameters<typeof buildXml>[0]));
    expect(parseInboundXml(opened.message)).toMatchObject({
      SubscribeMsgSentEvent: {
        List: [{ TemplateId: 'demo_subscribe_long', MsgID: msgid, ErrorCode: '0', ErrorStatus: 'success' }],
      },
    });
  });

  it('reports what reportStatus says, per user', async () => {
    const callback = await startCallback();
    const { sim, sendTemplate, sendSubscribe } = await startRig(
      { url: callback.url, token: TOKEN },
      { reportStatus: ({ openId }) => (openId === OPENID ? 'failed:user block' : 'success') },
    );
    await sendTemplate();
    await sendTemplate({ ...TEMPLATE, touser: 'oOtherUser0000000000000000001' });
    await sendSubscribe();
    await waitFor(() => sim.reports.every((report) => report.state === 'delivered'), {
      message: 'three reports delivered',
    });
    const bodies = callback.received.map((push) => push.body);
    expect(bodies.filter((body) => body.includes('<Status><![CDATA[failed:user block]]></Status>'))).toHaveLength(1);
    expect(bodies.filter((body) => body.includes('<Status><![CDATA[success]]></Status>'))).toHaveLength(1);
    expect(bodies.find((body) => body.includes('subscribe_msg_sent_event'))).toContain(
      '<ErrorCode>43101</ErrorCode><ErrorStatus><![CDATA[failed:user block]]></ErrorStatus>',
    );
  });

  it('records a report as skipped without a callback, and pushes once one is set', async () => {
    const { sim, sendTemplate } = await startRig(undefined);
    await sendTemplate();
    expect(sim.reports).toMatchObject([{ state: 'skipped', attempts: 0 }]);
    const callback = await startCallback();
    sim.setCallback(ACCOUNT.appId, { url: callback.url, token: TOKEN });
    await sendTemplate();
    await waitFor(() => sim.reports[1]?.state === 'delivered', { message: 'the second report was delivered' });
    expect(callback.received).toHaveLength(1);
    const listed = await (await fetch(`${sim.url}/sim/reports`)).json();
    expect(listed).toEqual({ total: 2, reports: sim.reports });
  });

  it('delivers 3 times to a callback answering 500, then records the report failed', async () => {
    const callback = await startCallback(() => ({ status: 500, body: 'oops' }));
    const { sim, sendTemplate } = await startRig({ url: callback.url, token: TOKEN });
    await sendTemplate();
    await waitFor(() => sim.reports[0]?.state === 'failed', { message: 'the report failed' });
    expect(callback.received).toHaveLength(3);
    // Each delivery is a fresh push, as WeChat's retries are (docs/wechat-protocol.md §5.1).
    expect(sim.reports[0]).toMatchObject({ attempts: 3, answer: { status: 500, body: 'oops' }, error: 'HTTP 500' });
  });

  it('delivers again after a 500, and stops at the first success', async () => {
    let calls = 0;
    const callback = await startCallback(() => (++calls === 1 ? { status: 503, body: '' } : { status: 200, body: '' }));
    const { sim, sendTemplate } = await startRig({ url: callback.url, token: TOKEN });
    await sendTemplate();
    await waitFor(() => sim.reports[0]?.state === 'delivered', { message: 'the report was delivered' });
    expect(sim.reports[0]?.attempts).toBe(2);
    expect(callback.received).toHaveLength(2);
  });

  it('survives a callback nobody listens on, and keeps answering', async () => {
    const callback = await startCallback();
    const dead = callback.url.replace(/:\d+\//, ':1/');
    const { sim, sendTemplate } = await startRig({ url: dead, token: TOKEN });
    await sendTemplate();
    await waitFor(() => sim.reports[0]?.state === 'failed', { message: 'the report failed' });
    expect(sim.reports[0]).toMatchObject({ attempts: 3, error: expect.stringMatching(/fetch failed/) as unknown });
    expect(await sendTemplate()).toMatch(/^\d+$/);
  });

  it('records a report failed when reportStatus throws, and the send still succeeds', async () => {
    const callback = await startCallback();
    const { sim, sendTemplate } = await startRig(
      { url: callback.url, token: TOKEN },
      {
        reportStatus: () => {
          throw new Error('boom');
        },
      },
    );
    expect(await sendTemplate()).toMatch(/^\d+$/);
    expect(sim.reports).toMatchObject([{ state: 'failed', error: 'reportStatus threw: boom' }]);
    expect(callback.received).toEqual([]);
  });

  it('waits reportDelayMs before pushing, and stop cancels what is pending', async () => {
    const callback = await startCallback();
    const { sim, sendTemplate } = await startRig({ url: callback.url, token: TOKEN }, { reportDelayMs: 60_000 });
    await sendTemplate();
    expect(sim.reports).toMatchObject([{ state: 'pending', attempts: 0 }]);
    await sim.stop();
    expect(callback.received).toEqual([]);
  });

  it('refuses callbacks that could never be pushed to', async () => {
    await expect(startRig({ url: 'ftp://example.com/', token: TOKEN })).rejects.toThrow(TypeError);
    await expect(startRig({ url: 'http://127.0.0.1/wechat?x=1', token: TOKEN })).rejects.toThrow(/query/);
    await expect(startRig({ url: 'http://127.0.0.1/wechat', token: TOKEN, mode: 'safe' })).rejects.toThrow(
      /encodingAESKey/,
    );
    const { sim } = await startRig(undefined);
    expect(() => {
      sim.setCallback('wxnope', { url: 'http://127.0.0.1/', token: TOKEN });
    }).toThrow(RangeError);
    expect(() => {
      sim.setCallback(ACCOUNT.appId, { url: 'not a url', token: TOKEN });
    }).toThrow(TypeError);
  });
});
