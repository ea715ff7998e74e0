import { describe, expect, it } from 'vitest';
import type { WechatApiSimulator } from './simulator.js';
import { ACCOUNT, OPENID, classicToken, postJson, sendUrl, startTestSimulator } from '../../test/helpers.js';

async function simWithToken(): Promise<{ sim: WechatApiSimulator; token: string; mediaId: string; videoId: string }> {
  const sim = await startTestSimulator();
  const token = await classicToken(sim);
  const mediaId = sim.addMedia({ type: 'image', bytes: Buffer.from('jpeg bytes') });
  const videoId = sim.addMedia({ type: 'video', bytes: Buffer.from('mp4 bytes') });
  return { sim, token, mediaId, videoId };
}

type Body = (ids: { mediaId: string; videoId: string }) => unknown;
const to = { touser: OPENID };

// One valid example per msgtype of docs/wechat-protocol.md §7.2.
const VALID: readonly [string, Body][] = [
  ['text', () => ({ ...to, msgtype: 'text', text: { content: 'Hello 世界' } })],
  ['image', ({ mediaId }) => ({ ...to, msgtype: 'image', image: { media_id: mediaId } })],
  ['voice', ({ mediaId }) => ({ ...to, msgtype: 'voice', voice: { media_id: mediaId } })],
  [
    'video',
    ({ videoId, mediaId }) => ({
      ...to,
      msgtype: 'video',
      video: { media_id: videoId, thumb_media_id: mediaId, title: 'T', description: 'D' },
    }),
  ],
  [
    'music',
    () => ({
      ...to,
      msgtype: 'music',
      music: {
        title: 'T',
        description: 'D',
        musicurl: 'https://m/1.mp3',
        hqmusicurl: 'https://m/1hq.mp3',
        thumb_media_id: 'THUMB',
      },
    }),
  ],
  [
    'news',
    () => ({
      ...to,
      msgtype: 'news',
      news: { articles: [{ title: 'T', description: 'D', url: 'https://a', picurl: 'https://p' }] },
    }),
  ],
  ['mpnews', () => ({ ...to, msgtype: 'mpnews', mpnews: { media_id: 'PERMANENT_MEDIA_ID' } })],
  ['mpnewsarticle', () => ({ ...to, msgtype: 'mpnewsarticle', mpnewsarticle: { article_id: 'ARTICLE_ID' } })],
  [
    'msgmenu',
    () => ({
      ...to,
      msgtype: 'msgmenu',
      msgmenu: {
        head_content: '您对本次服务是否满意呢?',
        list: [
          { id: '101', content: '满意' },
          { id: '102', content: '不满意' },
        ],
        tail_content: '欢迎再次光临',
      },
    }),
  ],
  ['wxcard', () => ({ ...to, msgtype: 'wxcard', wxcard: { card_id: 'CARD_ID' } })],
  [
    'miniprogrampage',
    () => ({
      ...to,
      msgtype: 'miniprogrampage',
      miniprogrampage: {
        title: 'T',
        appid: 'wxaaaaaaaaaaaaaaaa',
        pagepath: 'pages/index?x=1',
        thumb_media_id: 'THUMB',
      },
    }),
  ],
  [
    'text with a kf_account',
    () => ({ ...to, msgtype: 'text', text: { content: 'hi' }, customservice: { kf_account: 'test1@kftest' } }),
  ],
];

// One invalid example per msgtype, and the other documented failures.
const INVALID: readonly [string, Body, number][] = [
  ['text with empty content', () => ({ ...to, msgtype: 'text', text: { content: '' } }), 44004],
  ['text without its object', () => ({ ...to, msgtype: 'text' }), 44004],
  ['text whose content is a number', () => ({ ...to, msgtype: 'text', text: { content: 42 } }), 47001],
  ['image with an unknown media_id', () => ({ ...to, msgtype: 'image', image: { media_id: 'NOT_UPLOADED' } }), 40007],
  ['voice without media_id', () => ({ ...to, msgtype: 'voice', voice: {} }), 40007],
  ['video with an unknown media_id', () => ({ ...to, msgtype: 'video', video: { media_id: 'NOT_UPLOADED' } }), 40007],
  [
    'music without musicurl',
    () => ({ ...to, msgtype: 'music', music: { hqmusicurl: 'https://m', thumb_media_id: 'THUMB' } }),
    44004,
  ],
  [
    'news with two articles',
    () => ({
      ...to,
      msgtype: 'news',
      news: {
        articles: [
          { title: 'A', url: 'https://a' },
          { title: 'B', url: 'https://b' },
        ],
      },
    }),
    45008,
  ],
  ['news with no articles', () => ({ ...to, msgtype: 'news', news: { articles: [] } }), 44004],
  ['mpnews without media_id', () => ({ ...to, msgtype: 'mpnews', mpnews: {} }), 40007],
  [
    'mpnewsarticle without article_id',
    () => ({ ...to, msgtype: 'mpnewsarticle', mpnewsarticle: { article_id: '' } }),
    44004,
  ],
  ['msgmenu with an empty list', () => ({ ...to, msgtype: 'msgmenu', msgmenu: { list: [] } }), 44004],
  ['wxcard without card_id', () => ({ ...to, msgtype: 'wxcard', wxcard: {} }), 44004],
  [
    'miniprogrampage without pagepath',
    () => ({ ...to, msgtype: 'miniprogrampage', miniprogrampage: { appid: 'wxa', thumb_media_id: 'T' } }),
    44004,
  ],
  ['an unknown msgtype', () => ({ ...to, msgtype: 'sticker', sticker: {} }), 40008],
  ['link, the mini-program type', () => ({ ...to, msgtype: 'link', link: { title: 'T', url: 'https://a' } }), 40008],
  ['no msgtype', () => ({ ...to, text: { content: 'hi' } }), 40008],
  ['no touser', () => ({ msgtype: 'text', text: { content: 'hi' } }), 40003],
  ['an empty touser', () => ({ touser: '', msgtype: 'text', text: { content: 'hi' } }), 40003],
  ['a touser that is not an OpenID', () => ({ touser: 'user 1', msgtype: 'text', text: { content: 'hi' } }), 40003],
  ['a touser that is a number', () => ({ touser: 42, msgtype: 'text', text: { content: 'hi' } }), 40003],
  [
    'a bad kf_account',
    () => ({ ...to, msgtype: 'text', text: { content: 'hi' }, customservice: { kf_account: 'nobody' } }),
    61452,
  ],
  [
    'a customservice that is not an object',
    () => ({ ...to, msgtype: 'text', text: { content: 'hi' }, customservice: 'kf' }),
    61451,
  ],
  ['a lone surrogate', () => ({ ...to, msgtype: 'text', text: { content: 'broken \ud83d emoji' } }), 40033],
  ['a JSON array', () => [], 47001],
];

describe('POST /cgi-bin/message/custom/send (docs/wechat-protocol.md §7.1, §7.2)', () => {
  it.each(VALID)('accepts %s and records it', async (_name, body) => {
    const { sim, token, mediaId, videoId } = await simWithToken();
    const message = body({ mediaId, videoId });
    const answer = await postJson(sendUrl(sim, token), message);
    expect(answer).toMatchObject({ status: 200, json: { errcode: 0, errmsg: 'ok' } });
    expect(sim.sends).toEqual([{ appId: ACCOUNT.appId, time: expect.any(Number) as unknown, message }]);
    expect(sim.calls.at(-1)).toMatchObject({
      path: '/cgi-bin/message/custom/send',
      query: {},
      body: message,
      errcode: 0,
      appId: ACCOUNT.appId,
    });
  });

  it.each(INVALID)('refuses %s', async (_name, body, errcode) => {
    const { sim, token, mediaId, videoId } = await simWithToken();
    const answer = await postJson(sendUrl(sim, token), body({ mediaId, videoId }));
    expect(answer.status).toBe(200);
    expect(answer.json['errcode']).toBe(errcode);
    expect(answer.json['errmsg']).toMatch(/ rid: /);
    expect(sim.sends).toEqual([]);
  });

  it.each([
    ['bad JSON', '{"touser":', 47001],
    ['an empty body', '', 44002],
  ])('refuses %s', async (_name, raw, errcode) => {
    const { sim, token } = await simWithToken();
    const answer = await postJson(sendUrl(sim, token), raw);
    expect(answer.json['errcode']).toBe(errcode);
    expect(sim.calls.at(-1)).toMatchObject({ body: undefined, errcode });
  });

  it('checks the token before the body', async () => {
    const sim = await startTestSimulator();
    const answer = await postJson(`${sim.url}/cgi-bin/message/custom/send`, '{not json');
    expect(answer.json['errcode']).toBe(41001);
  });

  it('keeps sends in order and wakes waitForSends without polling', async () => {
    const { sim, token } = await simWithToken();
    const waiting = sim.waitForSends(3, 5000);
    for (const content of ['one', 'two', 'three']) {
      await postJson(sendUrl(sim, token), { ...to, msgtype: 'text', text: { content } });
    }
    const sends = await waiting;
    expect(sends.map((s) => (s.message['text'] as { content: string }).content)).toEqual(['one', 'two', 'three']);
  });
});

describe('POST /cgi-bin/message/custom/typing (docs/wechat-protocol.md §7.3)', () => {
  it.each(['Typing', 'CancelTyping'])('accepts %s', async (command) => {
    const { sim, token } = await simWithToken();
    const answer = await postJson(`${sim.url}/cgi-bin/message/custom/typing?access_token=${token}`, {
      touser: OPENID,
      command,
    });
    expect(answer.json).toEqual({ errcode: 0, errmsg: 'ok' });
    expect(sim.sends).toEqual([]);
  });

  it.each([
    ['a bad command', { touser: OPENID, command: 'typing' }, 45072],
    ['no command', { touser: OPENID }, 45072],
    ['a bad touser', { touser: 'o/x', command: 'Typing' }, 40003],
    ['bad JSON', '{', 47001],
  ])('refuses %s', async (_name, body, errcode) => {
    const { sim, token } = await simWithToken();
    const answer = await postJson(`${sim.url}/cgi-bin/message/custom/typing?access_token=${token}`, body);
    expect(answer.json['errcode']).toBe(errcode);
  });

  it('needs a token', async () => {
    const sim = await startTestSimulator();
    const answer = await postJson(`${sim.url}/cgi-bin/message/custom/typing?access_token=bad`, {
      touser: OPENID,
      command: 'Typing',
    });
    expect(answer.json['errcode']).toBe(40014);
  });
});
