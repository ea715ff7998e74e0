import type { CustomMessage } from '@wxq/wechat';
import type { z } from 'zod';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { customMessageSchema, replySchema } from './reply-schema.js';

describe('customMessageSchema', () => {
  it('outputs the wire type, so the sender needs no cast', () => {
    // The schema's annotation is what the compiler checks; this keeps the guarantee visible.
    expectTypeOf<z.output<typeof customMessageSchema>>().toEqualTypeOf<CustomMessage>();
  });

  it('accepts every msgtype WeChat takes (docs/wechat-protocol.md §7.2)', () => {
    const bodies: CustomMessage[] = [
      { touser: 'o1', msgtype: 'text', text: { content: 'hi' }, customservice: { kf_account: 'a@b' } },
      { touser: 'o1', msgtype: 'image', image: { media_id: 'm' } },
      { touser: 'o1', msgtype: 'voice', voice: { media_id: 'm' } },
      { touser: 'o1', msgtype: 'video', video: { media_id: 'm', title: 't' } },
      { touser: 'o1', msgtype: 'music', music: { musicurl: 'u', hqmusicurl: 'h', thumb_media_id: 't' } },
      { touser: 'o1', msgtype: 'news', news: { articles: [{ title: 't', url: 'u' }] } },
      { touser: 'o1', msgtype: 'mpnews', mpnews: { media_id: 'm' } },
      { touser: 'o1', msgtype: 'mpnewsarticle', mpnewsarticle: { article_id: 'a' } },
      { touser: 'o1', msgtype: 'msgmenu', msgmenu: { list: [{ id: '1', content: 'yes' }] } },
      { touser: 'o1', msgtype: 'wxcard', wxcard: { card_id: 'c' } },
      {
        touser: 'o1',
        msgtype: 'miniprogrampage',
        miniprogrampage: { title: 't', appid: 'wx', pagepath: 'p', thumb_media_id: 'm' },
      },
    ];
    for (const body of bodies) expect(customMessageSchema.parse(body)).toEqual(body);
  });

  it('refuses what WeChat would refuse, and unknown msgtypes', () => {
    const refused = [
      {
        touser: 'o1',
        msgtype: 'news',
        news: {
          articles: [
            { title: 'a', url: 'u' },
            { title: 'b', url: 'v' },
          ],
        },
      },
      { touser: 'o1', msgtype: 'image', text: { content: 'misplaced' } },
      { touser: 'o1', msgtype: 'sticker', sticker: {} },
      { msgtype: 'text', text: { content: 'no recipient' } },
      { touser: 'o1', msgtype: 'text', text: { content: 'x' }, customservice: undefined },
      'text',
      null,
    ];
    for (const body of refused) expect(customMessageSchema.safeParse(body).success, JSON.stringify(body)).toBe(false);
  });

  it('drops fields WeChat does not define instead of passing them through', () => {
    const parsed = customMessageSchema.parse({
      touser: 'o1',
      msgtype: 'text',
      text: { content: 'hi', extra: 1 },
      extra: 2,
    });
    expect(parsed).toEqual({ touser: 'o1', msgtype: 'text', text: { content: 'hi' } });
  });
});

describe('replySchema', () => {
  it('holds a message or a typing command', () => {
    expect(replySchema.parse({ kind: 'typing', touser: 'o1', command: 'Typing' })).toEqual({
      kind: 'typing',
      touser: 'o1',
      command: 'Typing',
    });
    expect(replySchema.safeParse({ kind: 'typing', touser: 'o1', command: 'Dancing' }).success).toBe(false);
    expect(replySchema.safeParse({ kind: 'sms', touser: 'o1' }).success).toBe(false);
  });
});
