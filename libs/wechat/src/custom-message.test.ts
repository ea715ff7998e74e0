import { describe, expectTypeOf, it } from 'vitest';
import type { CustomMessage, CustomMessageBody, CustomMessageType, NewsArticle } from './custom-message.js';

describe('CustomMessage', () => {
  it('is discriminated by msgtype, with the body under the msgtype key (docs/wechat-protocol.md §7.2)', () => {
    expectTypeOf<CustomMessageType>().toEqualTypeOf<
      | 'text'
      | 'image'
      | 'voice'
      | 'video'
      | 'music'
      | 'news'
      | 'mpnews'
      | 'mpnewsarticle'
      | 'msgmenu'
      | 'wxcard'
      | 'miniprogrampage'
    >();
    expectTypeOf<CustomMessageBody<'text'>>().toEqualTypeOf<{ readonly content: string }>();
    expectTypeOf<CustomMessageBody<'mpnewsarticle'>>().toEqualTypeOf<{ readonly article_id: string }>();
    expectTypeOf<CustomMessageBody<'news'>['articles'][number]>().toEqualTypeOf<NewsArticle>();
  });

  it('accepts WeChat-shaped bodies and refuses what WeChat would refuse', () => {
    const text = {
      touser: 'o1',
      msgtype: 'text',
      text: { content: 'hi' },
      customservice: { kf_account: 'a@b' },
    } as const;
    expectTypeOf(text).toExtend<CustomMessage>();
    // News takes one article at most (45008).
    const twoArticles = {
      touser: 'o1',
      msgtype: 'news',
      news: {
        articles: [
          { title: 'a', url: 'u' },
          { title: 'b', url: 'v' },
        ],
      },
    } as const;
    expectTypeOf(twoArticles).not.toExtend<CustomMessage>();
    // The body must sit under its own msgtype.
    const misplaced = { touser: 'o1', msgtype: 'image', text: { content: 'hi' } } as const;
    expectTypeOf(misplaced).not.toExtend<CustomMessage>();
  });
});
