import { describe, expect, it } from 'vitest';
import type { WechatApiSimulator } from '../simulator.js';
import { ACCOUNT, classicToken, createClock, getJson, startTestSimulator } from '../../../test/helpers.js';

const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0xff, 0xd9]);

async function upload(
  sim: WechatApiSimulator,
  token: string,
  type: string,
  bytes: Uint8Array,
  contentType = 'image/jpeg',
  field = 'media',
) {
  const form = new FormData();
  form.append(field, new Blob([bytes], { type: contentType }), 'upload.bin');
  const response = await fetch(`${sim.url}/cgi-bin/media/upload?access_token=${token}&type=${type}`, {
    method: 'POST',
    body: form,
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

describe('media/upload then media/get (docs/wechat-protocol.md §8)', () => {
  it('round-trips an image: same bytes, type and attachment name', async () => {
    const clock = createClock();
    const sim = await startTestSimulator({ now: clock.now });
    const token = await classicToken(sim);
    const uploaded = await upload(sim, token, 'image', JPEG);
    expect(uploaded).toEqual({
      status: 200,
      json: {
        type: 'image',
        media_id: expect.stringMatching(/^[\w-]{64}$/) as unknown,
        created_at: Math.floor(clock.now() / 1000),
      },
    });
    const mediaId = String(uploaded.json['media_id']);
    const response = await fetch(`${sim.url}/cgi-bin/media/get?access_token=${token}&media_id=${mediaId}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('image/jpeg');
    expect(response.headers.get('content-disposition')).toBe(`attachment; filename="${mediaId}.jpg"`);
    expect(Buffer.from(await response.arrayBuffer())).toEqual(JPEG);
    expect(sim.calls.at(-1)).toMatchObject({
      path: '/cgi-bin/media/get',
      query: { media_id: mediaId },
      errcode: 0,
      appId: ACCOUNT.appId,
    });
  });

  it('answers a thumb with thumb_media_id', async () => {
    const sim = await startTestSimulator();
    const token = await classicToken(sim);
    const { json } = await upload(sim, token, 'thumb', JPEG);
    expect(json).toEqual({
      type: 'thumb',
      thumb_media_id: expect.any(String) as unknown,
      created_at: expect.any(Number) as unknown,
    });
  });

  it('hands out a video as a video_url that serves the bytes', async () => {
    const sim = await startTestSimulator();
    const token = await classicToken(sim);
    const mp4 = Buffer.from('not really an mp4');
    const { json } = await upload(sim, token, 'video', mp4, 'video/mp4');
    const got = await getJson(
      `${sim.url}/cgi-bin/media/get?access_token=${token}&media_id=${String(json['media_id'])}`,
    );
    expect(got.json).toEqual({ video_url: expect.stringContaining(sim.url) as unknown });
    const video = await fetch(String(got.json['video_url']));
    expect(video.headers.get('content-type')).toBe('video/mp4');
    expect(Buffer.from(await video.arrayBuffer())).toEqual(mp4);
  });

  it('serves media added with addMedia, as a user’s upload', async () => {
    const sim = await startTestSimulator();
    const token = await classicToken(sim);
    const mediaId = sim.addMedia({ type: 'voice', bytes: Buffer.from('#!AMR\n'), mediaId: 'user-voice-1' });
    const response = await fetch(`${sim.url}/cgi-bin/media/get?access_token=${token}&media_id=${mediaId}`);
    expect(response.headers.get('content-type')).toBe('audio/amr');
    expect(response.headers.get('content-disposition')).toBe('attachment; filename="user-voice-1.amr"');
    expect(await response.text()).toBe('#!AMR\n');
  });

  it('answers 40007 for unknown, missing and 3-day-old media ids', async () => {
    const clock = createClock();
    const sim = await startTestSimulator({ now: clock.now, tokenTtlSeconds: 7 * 24 * 3600 });
    const token = await classicToken(sim);
    const mediaId = sim.addMedia({ type: 'image', bytes: JPEG });
    const get = (query: string) => getJson(`${sim.url}/cgi-bin/media/get?access_token=${token}${query}`);
    expect((await get('&media_id=unknown')).json).toMatchObject({
      errcode: 40007,
      errmsg: expect.stringMatching(/^invalid media_id rid: /) as unknown,
    });
    expect((await get('')).json['errcode']).toBe(40007);
    clock.advance(3 * 24 * 3600_000 - 1);
    expect(
      (await fetch(`${sim.url}/cgi-bin/media/get?access_token=${token}&media_id=${mediaId}`)).headers.get(
        'content-type',
      ),
    ).toBe('image/jpeg');
    clock.advance(1);
    expect((await get(`&media_id=${mediaId}`)).json['errcode']).toBe(40007);
  });

  it.each([
    ['an unknown type', 'sticker', 'media', 40004],
    ['no type', '', 'media', 40004],
    ['no media field', 'image', 'file', 41005],
  ])('refuses an upload with %s', async (_name, type, field, errcode) => {
    const sim = await startTestSimulator();
    const token = await classicToken(sim);
    expect((await upload(sim, token, type, JPEG, 'image/jpeg', field)).json['errcode']).toBe(errcode);
  });

  it('refuses an upload that is not multipart, or empty', async () => {
    const sim = await startTestSimulator();
    const token = await classicToken(sim);
    const response = await fetch(`${sim.url}/cgi-bin/media/upload?access_token=${token}&type=image`, {
      method: 'POST',
      body: JPEG,
    });
    expect(((await response.json()) as Record<string, unknown>)['errcode']).toBe(41005);
    expect((await upload(sim, token, 'image', new Uint8Array())).json['errcode']).toBe(41005);
  });

  it('refuses a thumb over 64 KB with 40006', async () => {
    const sim = await startTestSimulator();
    const token = await classicToken(sim);
    expect((await upload(sim, token, 'thumb', Buffer.alloc(64 * 1024 + 1))).json['errcode']).toBe(40006);
    expect((await upload(sim, token, 'thumb', Buffer.alloc(64 * 1024))).json['type']).toBe('thumb');
  });

  it('needs a token for both', async () => {
    const sim = await startTestSimulator();
    expect((await getJson(`${sim.url}/cgi-bin/media/get?media_id=x`)).json['errcode']).toBe(41001);
    expect((await upload(sim, 'expired-or-bogus', 'image', JPEG)).json['errcode']).toBe(40014);
  });
});
