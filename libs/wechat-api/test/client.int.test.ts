import { inspect } from 'node:util';
import { LOG_LEVELS } from '@wxq/testing';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { API_PATHS } from '../src/client.js';
import type { CustomMessage, CustomMessageType } from '@wxq/wechat';
import { WechatApiError, WechatErrcodeError, WechatTransportError } from '../src/errors.js';
import { ACCOUNT, OPENID, errcodesOn, rejectionOf, startHarness } from './harness.js';

const SEND = API_PATHS.customSend;

function text(content: string): CustomMessage {
  return { touser: OPENID, msgtype: 'text', text: { content } };
}

describe('sendCustomMessage', () => {
  it('sends every msgtype of docs/wechat-protocol.md §7.2 as WeChat expects it, and the simulator records each', async () => {
    const { sim, client } = await startHarness();
    const image = sim.addMedia({ type: 'image', bytes: new Uint8Array([0xff, 0xd8, 0xff, 0xe0]) });
    const voice = sim.addMedia({ type: 'voice', bytes: new TextEncoder().encode('#!AMR\n') });
    const video = sim.addMedia({ type: 'video', bytes: new Uint8Array([0, 0, 0, 0x18, 0x66, 0x74, 0x79, 0x70]) });
    const thumb = sim.addMedia({ type: 'thumb', bytes: new Uint8Array([0xff, 0xd8, 0xff, 0xdb]) });
    const messages = [
      { touser: OPENID, msgtype: 'text', text: { content: 'Hello 世界 👋🏽' } },
      { touser: OPENID, msgtype: 'image', image: { media_id: image } },
      { touser: OPENID, msgtype: 'voice', voice: { media_id: voice } },
      {
        touser: OPENID,
        msgtype: 'video',
        video: { media_id: video, thumb_media_id: thumb, title: '标题', description: 'D' },
      },
      {
        touser: OPENID,
        msgtype: 'music',
        music: {
          title: 'T',
          description: 'D',
          musicurl: 'https://example.com/a.mp3',
          hqmusicurl: 'https://example.com/a-hq.mp3',
          thumb_media_id: thumb,
        },
      },
      {
        touser: OPENID,
        msgtype: 'news',
        news: {
          articles: [
            { title: 'T', description: 'D', url: 'https://example.com/a', picurl: 'https://example.com/p.jpg' },
          ],
        },
      },
      { touser: OPENID, msgtype: 'mpnews', mpnews: { media_id: 'MPNEWS_MEDIA_ID' } },
      { touser: OPENID, msgtype: 'mpnewsarticle', mpnewsarticle: { article_id: 'ARTICLE_ID' } },
      {
        touser: OPENID,
        msgtype: 'msgmenu',
        msgmenu: {
          head_content: '您对本次服务是否满意呢?',
          list: [
            { id: '101', content: '满意' },
            { id: '102', content: '不满意' },
          ],
          tail_content: '欢迎再次光临',
        },
      },
      { touser: OPENID, msgtype: 'wxcard', wxcard: { card_id: 'CARD_ID' } },
      {
        touser: OPENID,
        msgtype: 'miniprogrampage',
        miniprogrampage: {
          title: 'T',
          appid: 'wxaaaaaaaaaaaaaaaa',
          pagepath: 'pages/index?x=1',
          thumb_media_id: thumb,
        },
      },
      {
        touser: OPENID,
        msgtype: 'text',
        text: { content: 'from a kf account' },
        customservice: { kf_account: 'test1@kftest' },
      },
    ] satisfies CustomMessage[];
    expectTypeOf<(typeof messages)[number]['msgtype']>().toEqualTypeOf<CustomMessageType>();

    for (const message of messages) await client.sendCustomMessage(message);

    const sends = await sim.waitForSends(messages.length, 5_000);
    expect(sends.map((sent) => sent.message)).toStrictEqual(messages);
    expect(sends.every((sent) => sent.appId === ACCOUNT.appId)).toBe(true);
    expect(errcodesOn(sim, SEND)).toStrictEqual(messages.map(() => 0));
    expect(sim.tokenMints(ACCOUNT.appId)).toStrictEqual({ token: 0, stable_token: 1 });
  });

  it('sends text with a lone surrogate as U+FFFD instead of the \\u escape WeChat refuses (40033)', async () => {
    const { sim, client } = await startHarness();
    await client.sendCustomMessage(text('broken \uD83D emoji'));
    const [sent] = await sim.waitForSends(1, 5_000);
    expect(sent?.message).toStrictEqual(text('broken \uFFFD emoji'));
  });
});

describe('a refused access_token: invalidate, refresh once, retry once (docs/wechat-protocol.md §6.2, §6.3)', () => {
  it.each([
    { errcode: 40001, refuse: 'invalidateTokens' },
    { errcode: 42001, refuse: 'expireTokens' },
  ] as const)('$errcode mid-run: one refresh, one retry, delivered', async ({ errcode, refuse }) => {
    const { sim, client, redis, keys, fetchedTokens, logs } = await startHarness();
    await client.sendCustomMessage(text('first'));
    const firstToken = await redis.get(keys.token);

    sim[refuse](ACCOUNT.appId);
    await client.sendCustomMessage(text('second'));

    expect((await sim.waitForSends(2, 5_000)).map((sent) => sent.message)).toStrictEqual([
      text('first'),
      text('second'),
    ]);
    expect(errcodesOn(sim, SEND)).toStrictEqual([0, errcode, 0]);
    expect(fetchedTokens).toHaveLength(2);
    expect(sim.tokenMints(ACCOUNT.appId).stable_token).toBe(2);
    expect(await redis.get(keys.token)).toBe(fetchedTokens[1]);
    expect(fetchedTokens[1]).not.toBe(firstToken);
    expect(logs.lines()).toContainEqual(
      expect.objectContaining({
        level: LOG_LEVELS.warn,
        api: SEND,
        errcode,
        msg: 'access_token refused: invalidating it and retrying once',
      }),
    );
  });

  it('40001 answered by WeChat to a classic token: a new token is minted and the retry delivers', async () => {
    const { sim, client, fetchedTokens } = await startHarness({ endpoint: 'token' });
    await client.getCallbackIp();
    sim.injectFault({ path: SEND, errcode: 40001 });

    await client.sendCustomMessage(text('hello'));

    expect(errcodesOn(sim, SEND)).toStrictEqual([40001, 0]);
    expect(sim.tokenMints(ACCOUNT.appId)).toStrictEqual({ token: 2, stable_token: 0 });
    expect(new Set(fetchedTokens).size).toBe(2);
  });

  it('a second refusal is thrown, after exactly one retry', async () => {
    const { sim, client } = await startHarness();
    sim.injectFault({ path: SEND, errcode: 40001, times: 2 });

    const error = await rejectionOf(client.sendCustomMessage(text('hello')));

    expect(error).toBeInstanceOf(WechatErrcodeError);
    expect(error).toMatchObject({ errcode: 40001, kind: 'token_invalid', api: SEND });
    expect(errcodesOn(sim, SEND)).toStrictEqual([40001, 40001]);
    expect(sim.sends).toHaveLength(0);
  });

  it('20 concurrent sends after an invalidation share one refresh', async () => {
    const { sim, client, fetchedTokens } = await startHarness();
    await client.sendCustomMessage(text('warm-up'));
    sim.invalidateTokens(ACCOUNT.appId);

    await Promise.all(Array.from({ length: 20 }, (_, i) => client.sendCustomMessage(text(`message ${i}`))));

    expect(sim.sends).toHaveLength(21);
    expect(fetchedTokens).toHaveLength(2);
    expect(sim.tokenMints(ACCOUNT.appId).stable_token).toBe(2);
  });
});

describe('errors are thrown with their kind; the client itself never retries them', () => {
  it('-1 (system busy) is retryable, after exactly one call', async () => {
    const { sim, client } = await startHarness();
    sim.injectFault({ path: SEND, errcode: -1 });

    const error = await rejectionOf(client.sendCustomMessage(text('hello')));

    expect(error).toBeInstanceOf(WechatErrcodeError);
    expect(error).toMatchObject({ errcode: -1, kind: 'retryable', api: SEND });
    expect(errcodesOn(sim, SEND)).toStrictEqual([-1]);
  });

  it('45015 (outside the window) is permanent, after exactly one call', async () => {
    const { sim, client } = await startHarness();
    sim.injectFault({ path: SEND, errcode: 45015 });

    const error = await rejectionOf(client.sendCustomMessage(text('hello')));

    expect(error).toBeInstanceOf(WechatErrcodeError);
    expect(error).toMatchObject({ errcode: 45015, kind: 'permanent', api: SEND });
    expect((error as Error).message).toMatch(/^\/cgi-bin\/message\/custom\/send: errcode 45015 \(permanent\): /);
    expect(errcodesOn(sim, SEND)).toStrictEqual([45015]);
    expect(sim.sends).toHaveLength(0);
  });

  it('a WeChat validation refusal is permanent (45008: news with two articles)', async () => {
    const { sim, client } = await startHarness();
    const article = { title: 'T', url: 'https://example.com' };
    // The type allows one article; a caller that goes around it still gets a typed answer.
    const twoArticles = {
      touser: OPENID,
      msgtype: 'news',
      news: { articles: [article, article] },
    } as unknown as CustomMessage;

    await expect(client.sendCustomMessage(twoArticles)).rejects.toMatchObject({ errcode: 45008, kind: 'permanent' });
    expect(errcodesOn(sim, SEND)).toStrictEqual([45008]);
  });

  it('a timeout is retryable, and shows why a retried send can arrive twice (docs/wechat-protocol.md §7.5)', async () => {
    const { sim, client } = await startHarness({ timeoutMs: 300 });
    await client.getCallbackIp(); // the token is fetched before the clock below starts
    sim.injectFault({ path: SEND, latencyMs: 1_000 });

    const started = performance.now();
    const error = await rejectionOf(client.sendCustomMessage(text('slow')));

    expect(performance.now() - started).toBeLessThan(900);
    expect(error).toBeInstanceOf(WechatTransportError);
    expect(error).toMatchObject({ code: 'timeout', kind: 'retryable', api: SEND, errcode: undefined });
    // WeChat went on and delivered it after the client gave up.
    expect((await sim.waitForSends(1, 5_000)).map((sent) => sent.message)).toStrictEqual([text('slow')]);
  });

  it('a dropped connection is retryable', async () => {
    const { sim, client } = await startHarness();
    sim.injectFault({ path: SEND, dropConnection: true });

    const error = await rejectionOf(client.sendCustomMessage(text('hello')));

    expect(error).toBeInstanceOf(WechatTransportError);
    expect(error).toMatchObject({ code: 'network', kind: 'retryable', api: SEND });
    expect(errcodesOn(sim, SEND)).toStrictEqual([null]);
  });

  it('HTTP 502 is retryable', async () => {
    const { sim, client } = await startHarness();
    sim.injectFault({ path: SEND, httpStatus: 502 });

    const error = await rejectionOf(client.sendCustomMessage(text('hello')));

    expect(error).toBeInstanceOf(WechatTransportError);
    expect(error).toMatchObject({ code: 'http_status', httpStatus: 502, kind: 'retryable', api: SEND });
    expect(errcodesOn(sim, SEND)).toStrictEqual([null]);
  });
});

describe('typing', () => {
  it('sends Typing and CancelTyping (docs/wechat-protocol.md §7.3)', async () => {
    const { sim, client } = await startHarness();
    await client.typing(OPENID, 'Typing');
    await client.typing(OPENID, 'CancelTyping');

    const calls = sim.calls.filter((call) => call.path === API_PATHS.customTyping);
    expect(calls.map((call) => [call.body, call.errcode])).toStrictEqual([
      [{ touser: OPENID, command: 'Typing' }, 0],
      [{ touser: OPENID, command: 'CancelTyping' }, 0],
    ]);
  });

  it('45080 (no exchange in the last 30 s) is permanent', async () => {
    const { sim, client } = await startHarness();
    sim.injectFault({ path: API_PATHS.customTyping, errcode: 45080 });
    await expect(client.typing(OPENID, 'Typing')).rejects.toMatchObject({
      errcode: 45080,
      kind: 'permanent',
      api: API_PATHS.customTyping,
    });
  });
});

describe('getCallbackIp', () => {
  it('returns the ip_list, CIDR ranges included (docs/wechat-protocol.md §5.5)', async () => {
    const ips = ['106.55.206.146', '101.226.103.0/25'];
    const { client } = await startHarness({ simulator: { callbackIps: ips } });
    expect(await client.getCallbackIp()).toStrictEqual(ips);
  });
});

describe('media (docs/wechat-protocol.md §8)', () => {
  it('uploads an image as multipart field "media" and downloads the same bytes', async () => {
    const { sim, client } = await startHarness();
    const bytes = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 1, 2, 3, 0x7b, 0xff, 0xd9]);

    const mediaId = await client.uploadMedia('image', { filename: 'photo.jpg', contentType: 'image/jpeg', bytes });
    const downloaded = await client.getMedia(mediaId);

    expect(downloaded).toStrictEqual({ kind: 'file', contentType: 'image/jpeg', bytes });
    // And the uploaded id is good for a reply.
    await client.sendCustomMessage({ touser: OPENID, msgtype: 'image', image: { media_id: mediaId } });
    expect(errcodesOn(sim, SEND)).toStrictEqual([0]);
  });

  it('returns a thumb upload id, which WeChat names thumb_media_id', async () => {
    const { client } = await startHarness();
    const thumbId = await client.uploadMedia('thumb', {
      filename: 't.jpg',
      contentType: 'image/jpeg',
      bytes: new Uint8Array([0xff, 0xd8, 1]),
    });
    expect(await client.getMedia(thumbId)).toMatchObject({ kind: 'file', contentType: 'image/jpeg' });
  });

  it('gives the download link WeChat answers for a video', async () => {
    const { sim, client } = await startHarness();
    const videoId = sim.addMedia({ type: 'video', bytes: new Uint8Array([0, 0, 0, 0x18, 0x66, 0x74, 0x79, 0x70]) });
    const downloaded = await client.getMedia(videoId);
    expect(downloaded).toMatchObject({ kind: 'video_url' });
    expect(downloaded.kind === 'video_url' && downloaded.videoUrl.startsWith(sim.url)).toBe(true);
  });

  it('reads a JSON answer to media/get as the error it is (40007, permanent)', async () => {
    const { client } = await startHarness();
    const error = await rejectionOf(client.getMedia('no-such-media'));
    expect(error).toBeInstanceOf(WechatErrcodeError);
    expect(error).toMatchObject({ errcode: 40007, kind: 'permanent', api: API_PATHS.mediaGet });
  });

  it('retries an upload once with a fresh token after 40001', async () => {
    const { sim, client } = await startHarness();
    await client.getCallbackIp();
    sim.invalidateTokens(ACCOUNT.appId);
    const mediaId = await client.uploadMedia('voice', {
      filename: 'v.amr',
      contentType: 'audio/amr',
      bytes: new TextEncoder().encode('#!AMR\n1'),
    });
    expect(await client.getMedia(mediaId)).toMatchObject({ kind: 'file', contentType: 'audio/amr' });
    expect(errcodesOn(sim, API_PATHS.mediaUpload)).toStrictEqual([40001, 0]);
  });
});

describe('secrets stay out of errors and logs', () => {
  it('never puts the access_token, the AppSecret or a URL into an error or a log line', async () => {
    const { sim, client, logs: captured, fetchedTokens } = await startHarness({ timeoutMs: 300 });
    const errors: unknown[] = [];
    const collect = async (call: Promise<unknown>) => {
      errors.push(await rejectionOf(call));
    };
    await client.getCallbackIp();
    sim.injectFault({ path: SEND, errcode: 40001, times: 2 });
    await collect(client.sendCustomMessage(text('a')));
    sim.invalidateTokens(ACCOUNT.appId);
    sim.injectFault({ path: SEND, errcode: 45015 });
    await collect(client.sendCustomMessage(text('b')));
    sim.injectFault({ path: SEND, errcode: -1 });
    await collect(client.sendCustomMessage(text('c')));
    sim.injectFault({ path: SEND, latencyMs: 1_000 });
    await collect(client.sendCustomMessage(text('d')));
    sim.injectFault({ path: SEND, dropConnection: true });
    await collect(client.sendCustomMessage(text('e')));
    sim.injectFault({ path: API_PATHS.getCallbackIp, httpStatus: 502 });
    await collect(client.getCallbackIp());
    await collect(client.getMedia('no-such-media'));

    expect(errors).toHaveLength(7);
    expect(errors.every((error) => error instanceof WechatApiError)).toBe(true);
    expect(fetchedTokens.length).toBeGreaterThanOrEqual(2);
    const secrets = [...fetchedTokens, ACCOUNT.appSecret];
    const url = new URL(sim.url).host;
    for (const error of errors) {
      const shown = inspect(error, { depth: 10 });
      for (const secret of secrets) expect(shown).not.toContain(secret);
      expect(shown).not.toContain(url);
      expect(shown).not.toContain('access_token=');
    }
    const logs = captured.text();
    expect(captured.lines()).toContainEqual(expect.objectContaining({ api: SEND, errcode: 45015 }));
    for (const secret of secrets) expect(logs).not.toContain(secret);
    expect(logs).not.toContain(url);
    expect(logs).not.toContain('access_token=');
  });
});
