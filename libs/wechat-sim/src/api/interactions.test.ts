import { buildInboundXml } from '@wxq/wechat';
import { describe, expect, it } from 'vitest';
import {
  ACCOUNT,
  OPENID,
  OTHER_ACCOUNT,
  classicToken,
  createClock,
  postJson,
  sendUrl,
  startTestSimulator,
} from '../../test/helpers.js';
import { buildPush } from '../push/build-push.js';
import { createMessage } from '../push/messages.js';
import { MAX_JSON_BODY_BYTES } from './routes.js';

// POST /sim/interactions: how a process other than the simulator's (the CLI) tells it of a user
// action. Real HTTP; hostile bodies must get a 4xx and leave the simulator serving.

const START = Date.UTC(2024, 0, 1, 10, 0, 0);
const CREATE_TIME = String(START / 1000);

interface Answer {
  readonly status: number;
  readonly contentType: string | null;
  readonly json: Record<string, unknown>;
  readonly allow: string | null;
}

async function post(url: string, body: string | Buffer, contentType?: string, method = 'POST'): Promise<Answer> {
  const response = await fetch(url, {
    method,
    ...(contentType === undefined ? {} : { headers: { 'content-type': contentType } }),
    ...(method === 'GET' ? {} : { body }),
  });
  const text = await response.text();
  return {
    status: response.status,
    contentType: response.headers.get('content-type'),
    json: JSON.parse(text) as Record<string, unknown>,
    allow: response.headers.get('allow'),
  };
}

async function startSim() {
  const clock = createClock(START);
  const sim = await startTestSimulator({ now: clock.now, enforceQuota: true });
  return { sim, clock, endpoint: `${sim.url}/sim/interactions` };
}

const message = createMessage.text('hello', { openid: OPENID, createTime: CREATE_TIME });

describe('POST /sim/interactions, good input', () => {
  it('takes the plaintext push XML with ?appid= and opens the window', async () => {
    const { sim, endpoint } = await startSim();
    const answer = await post(`${endpoint}?appid=${ACCOUNT.appId}`, buildInboundXml(message), 'text/xml');
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({
      interaction: {
        appId: ACCOUNT.appId,
        openId: OPENID,
        msgType: 'text',
        createdAt: START,
        time: START,
        grant: 'message',
        outcome: 'applied',
        window: { kind: 'message', sendsLeft: 5, closesAt: START + 48 * 3600_000 },
      },
    });
    expect(sim.interactions).toEqual([answer.json['interaction']]);
    const token = await classicToken(sim);
    expect(
      (await postJson(sendUrl(sim, token), { touser: OPENID, msgtype: 'text', text: { content: 'hi' } })).json[
        'errcode'
      ],
    ).toBe(0);
  });

  it('takes JSON {appid, message} with the push fields', async () => {
    const { sim, endpoint } = await startSim();
    const click = createMessage.click('MENU_KEY', { openid: OPENID, createTime: CREATE_TIME });
    const answer = await post(
      endpoint,
      JSON.stringify({ appid: OTHER_ACCOUNT.appId, message: click }),
      'application/json; charset=utf-8',
    );
    expect(answer.status).toBe(200);
    expect(answer.json['interaction']).toMatchObject({
      appId: OTHER_ACCOUNT.appId,
      msgType: 'event',
      event: 'CLICK',
      grant: 'event',
      outcome: 'applied',
    });
    expect(sim.sendWindows(OTHER_ACCOUNT.appId, OPENID)).toEqual([
      { kind: 'event', sendsLeft: 3, closesAt: START + 60_000 },
    ]);
    expect(sim.sendWindows(ACCOUNT.appId, OPENID)).toEqual([]);
  });

  it('reads a body without a Content-Type by its first character', async () => {
    const { endpoint } = await startSim();
    const xml = await post(`${endpoint}?appid=${ACCOUNT.appId}`, Buffer.from(`  ${buildInboundXml(message)}`));
    const json = await post(
      `${endpoint}?appid=${ACCOUNT.appId}`,
      Buffer.from(JSON.stringify({ message: createMessage.subscribe({ openid: OPENID, createTime: CREATE_TIME }) })),
    );
    expect([xml.status, json.status]).toEqual([200, 200]);
    expect(json.json['interaction']).toMatchObject({ event: 'subscribe', grant: 'event' });
  });

  it('normalises event names as the parser does (case-insensitive lookup, docs/wechat-protocol.md §4.1)', async () => {
    const { endpoint } = await startSim();
    const xml = `<xml><ToUserName>gh_0123456789ab</ToUserName><FromUserName>${OPENID}</FromUserName><CreateTime>${CREATE_TIME}</CreateTime><MsgType>EVENT</MsgType><Event>scan</Event><EventKey>1</EventKey><Ticket>t</Ticket></xml>`;
    const answer = await post(`${endpoint}?appid=${ACCOUNT.appId}`, xml, 'application/xml');
    expect(answer.json['interaction']).toMatchObject({ msgType: 'event', event: 'SCAN', grant: 'event' });
  });

  it('answers the same push told twice as a duplicate', async () => {
    const { endpoint } = await startSim();
    await post(`${endpoint}?appid=${ACCOUNT.appId}`, buildInboundXml(message), 'text/xml');
    const again = await post(`${endpoint}?appid=${ACCOUNT.appId}`, buildInboundXml(message), 'text/xml');
    expect(again.json['interaction']).toMatchObject({ outcome: 'duplicate' });
  });
});

describe('POST /sim/interactions, hostile or wrong input: a clear 4xx, never a crash', () => {
  const deep = `${'{"a":'.repeat(50)}"x"${'}'.repeat(50)}`;
  const xmlAppid = `?appid=${ACCOUNT.appId}`;
  const cases: readonly (readonly [string, string, string | Buffer, string | undefined, number, RegExp])[] = [
    ['no appid', '', buildInboundXml(message), 'text/xml', 400, /appid/],
    ['an unknown appid', '?appid=wxnotanaccount0000', buildInboundXml(message), 'text/xml', 404, /no such account/],
    [
      'appids that differ',
      xmlAppid,
      JSON.stringify({ appid: OTHER_ACCOUNT.appId, message }),
      'application/json',
      400,
      /differ/,
    ],
    ['an appid that is not a string', '', JSON.stringify({ appid: 42, message }), 'application/json', 400, /appid/],
    ['an empty body', xmlAppid, '', undefined, 415, /text\/xml/],
    ['a form body', xmlAppid, 'a=1&b=2', 'application/x-www-form-urlencoded', 415, /text\/xml/],
    ['bytes that are neither', xmlAppid, Buffer.from([0xff, 0xfe, 0x00, 0x01]), undefined, 415, /text\/xml/],
    ['JSON that does not parse', xmlAppid, '{"message": ', 'application/json', 400, /not JSON/],
    ['JSON that is an array', xmlAppid, '[1, 2, 3]', 'application/json', 400, /object/],
    ['JSON without a message', xmlAppid, '{}', 'application/json', 400, /message/],
    [
      'a message with a number field',
      xmlAppid,
      JSON.stringify({ message: { ...message, CreateTime: 1704103200 } }),
      'application/json',
      400,
      /message/,
    ],
    ['a message nested too deep', xmlAppid, `{"message":${deep}}`, 'application/json', 400, /deep/],
    [
      'a message without FromUserName',
      xmlAppid,
      JSON.stringify({ message: { ...message, FromUserName: '' } }),
      'application/json',
      400,
      /FromUserName/,
    ],
    [
      'a CreateTime that is not Unix seconds',
      xmlAppid,
      JSON.stringify({ message: { ...message, CreateTime: 'yesterday' } }),
      'application/json',
      400,
      /CreateTime/,
    ],
    ['XML that does not parse', xmlAppid, '<xml><ToUserName>gh', 'text/xml', 400, /unclosed/],
    [
      'XML with a DOCTYPE (entity expansion)',
      xmlAppid,
      '<!DOCTYPE x [<!ENTITY a "aaaa">]><xml><Content>&a;</Content></xml>',
      'text/xml',
      400,
      /DOCTYPE/,
    ],
    ['XML nested too deep', xmlAppid, `<xml>${'<a>'.repeat(40)}x${'</a>'.repeat(40)}</xml>`, 'text/xml', 400, /deeper/],
    [
      'XML that is not UTF-8',
      xmlAppid,
      Buffer.concat([Buffer.from('<xml><Content>'), Buffer.from([0xc3, 0x28]), Buffer.from('</Content></xml>')]),
      'text/xml',
      400,
      /UTF-8/i,
    ],
    [
      'an encrypted (safe-mode) push',
      xmlAppid,
      '<xml><ToUserName>gh_0123456789ab</ToUserName><Encrypt>AAAA</Encrypt></xml>',
      'text/xml',
      400,
      /encrypted push/,
    ],
  ];

  it.each(cases)('%s', async (_name, query, body, contentType, status, error) => {
    const { sim, endpoint } = await startSim();
    const answer = await post(`${endpoint}${query}`, body, contentType);
    expect(answer.status).toBe(status);
    expect(answer.contentType).toMatch(/^application\/json/);
    expect(answer.json['error']).toMatch(error);
    expect(sim.interactions).toEqual([]);
    // Still serving.
    expect(await classicToken(sim)).toMatch(/./);
  });

  it('answers 413 to a body over the cap, and keeps serving', async () => {
    const { sim, endpoint } = await startSim();
    const answer = await post(
      `${endpoint}?appid=${ACCOUNT.appId}`,
      Buffer.alloc(MAX_JSON_BODY_BYTES + 1, 0x20),
      'text/xml',
    );
    expect(answer.status).toBe(413);
    expect(answer.json['error']).toMatch(/at most/);
    expect(await classicToken(sim)).toMatch(/./);
  });

  it('answers 405 with Allow: POST to any other method', async () => {
    const { endpoint } = await startSim();
    const answer = await post(endpoint, '', undefined, 'GET');
    expect([answer.status, answer.allow]).toEqual([405, 'POST']);
  });

  it('keeps __proto__ an ordinary field of the message', async () => {
    const { sim, endpoint } = await startSim();
    const body = `{"message":{"__proto__":{"polluted":"yes"},"ToUserName":"gh_0123456789ab","FromUserName":"${OPENID}","CreateTime":"${CREATE_TIME}","MsgType":"text","Content":"x","MsgId":"1"}}`;
    const answer = await post(`${endpoint}?appid=${ACCOUNT.appId}`, body, 'application/json');
    expect(answer.status).toBe(200);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(sim.interactions).toHaveLength(1);
  });
});

describe('recordInteraction (in process)', () => {
  it('refuses an account the simulator does not serve, and unusable messages', async () => {
    const { sim } = await startSim();
    expect(() => sim.recordInteraction({ appId: 'wxnotanaccount0000', message })).toThrow(RangeError);
    expect(() => sim.recordInteraction({ appId: ACCOUNT.appId, message: { ...message, CreateTime: '17e8' } })).toThrow(
      TypeError,
    );
    expect(() => sim.recordInteraction({ appId: ACCOUNT.appId, message: { ...message, FromUserName: '' } })).toThrow(
      TypeError,
    );
    expect(sim.interactions).toEqual([]);
  });

  it('takes the interaction a built push carries', async () => {
    const { sim } = await startSim();
    const push = buildPush({ account: { appId: ACCOUNT.appId, token: 'tok' }, mode: 'plaintext', message });
    expect(push.interaction).toEqual({ appId: ACCOUNT.appId, message });
    if (push.interaction === undefined) throw new Error('the push carries its interaction');
    expect(sim.recordInteraction(push.interaction)).toMatchObject({ grant: 'message', outcome: 'applied' });
  });
});
