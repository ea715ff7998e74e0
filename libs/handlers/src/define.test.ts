import { Redis } from 'ioredis';
import { afterAll, describe, expect, expectTypeOf, inject, it } from 'vitest';
import type { ClickEvent, TextMessage } from '@wxq/wechat';
import { compose } from './compose.js';
import { defineHandlers } from './define.js';
import { demoHandlers } from './demo.js';
import { perUserRateLimit } from './middleware.js';
import { contextFor, eventMessage, imageMessage, textMessage } from '../test/context-for.js';

const redis = new Redis(inject('redisUrl'));
afterAll(async () => {
  await redis.quit();
});

function run(handlers: ReturnType<typeof defineHandlers>, message: ReturnType<typeof textMessage>) {
  const { ctx, logs } = contextFor(message, redis);
  return handlers.handle(ctx).then(() => ({ ctx, logs }));
}

describe('the route a message takes, named for logs', () => {
  const handlers = defineHandlers((r) =>
    r
      .text('exact', () => undefined)
      .text(/^hi/i, () => undefined)
      .event('CLICK', 'MENU_A', () => undefined)
      .event('subscribe', () => undefined)
      .message('image', () => undefined),
  );

  it('names each route as declared, the first that matches, and says when none does', () => {
    expect(handlers.routeOf(textMessage('exact'))).toBe('text exact');
    expect(handlers.routeOf(textMessage('Hi there'))).toBe('text /^hi/i');
    expect(handlers.routeOf(eventMessage('CLICK', 'MENU_A'))).toBe('event CLICK MENU_A');
    expect(handlers.routeOf(eventMessage('subscribe'))).toBe('event subscribe');
    expect(handlers.routeOf(imageMessage())).toBe('message image');
    expect(handlers.routeOf(textMessage('something else'))).toBe('none');
    expect(defineHandlers((r) => r.fallback(() => undefined)).routeOf(textMessage('x'))).toBe('fallback');
    expect(defineHandlers((r) => r.unknown(() => undefined)).routeOf(textMessage('x'))).toBe('none');
  });
});

describe('the attempt signal', () => {
  it('a context records nothing once its signal aborted; what it recorded before stays for the worker to drop', () => {
    const attempt = new AbortController();
    const { ctx } = contextFor(textMessage('x'), redis, undefined, attempt.signal);
    expect(ctx.signal).toBe(attempt.signal);
    ctx.reply.text('before');
    attempt.abort(new Error('timed out'));
    ctx.reply.text('after');
    ctx.reply.image('MEDIA');
    ctx.reply.typing();
    expect(ctx.replies).toHaveLength(1);
    expect(ctx.signal.aborted).toBe(true);
  });

  it('a context made without a signal never aborts', () => {
    const { ctx } = contextFor(textMessage('x'), redis);
    expect(ctx.signal.aborted).toBe(false);
    ctx.reply.text('recorded');
    expect(ctx.replies).toHaveLength(1);
  });
});

describe('defineHandlers routing', () => {
  const handlers = defineHandlers((r) =>
    r
      .text('exact', (_m, ctx) => {
        ctx.reply.text('exact match');
      })
      .text(/^hi/i, (m, ctx) => {
        ctx.reply.text(`regex: ${m.Content}`);
      })
      .event('CLICK', 'MENU_A', (_e, ctx) => {
        ctx.reply.text('menu a');
      })
      .event('CLICK', /^MENU_/, (e, ctx) => {
        ctx.reply.text(`other menu ${e.EventKey}`);
      })
      .event('subscribe', (_e, ctx) => {
        ctx.reply.text('welcome');
      })
      .message('image', (m, ctx) => {
        ctx.reply.image(m.MediaId);
      })
      .fallback((_m, ctx) => {
        ctx.reply.text('fallback');
      }),
  );
  const cases: [string, ReturnType<typeof textMessage>, string][] = [
    ['exact text (trimmed)', textMessage(' exact '), 'exact match'],
    ['regex text', textMessage('Hi there'), 'regex: Hi there'],
    ['event with an exact EventKey, declared first', eventMessage('CLICK', 'MENU_A'), 'menu a'],
    ['event with a matching EventKey', eventMessage('CLICK', 'MENU_B'), 'other menu MENU_B'],
    ['event without key filter', eventMessage('subscribe'), 'welcome'],
    ['unmatched text falls back', textMessage('something else'), 'fallback'],
    ['unknown event falls back', eventMessage('user_get_card'), 'fallback'],
  ];
  for (const [name, message, expected] of cases) {
    it(name, async () => {
      const { ctx } = await run(handlers, message);
      expect(ctx.replies).toEqual([
        {
          kind: 'message',
          message: { touser: 'oUser0000000000000000000001', msgtype: 'text', text: { content: expected } },
        },
      ]);
    });
  }

  it('routes by MsgType and records every reply type with the sender as recipient', async () => {
    const all = defineHandlers((r) =>
      r.message('image', (m, ctx) => {
        ctx.reply.typing();
        ctx.reply.image(m.MediaId, { kfAccount: 'kf1@test' });
        ctx.reply.voice('v');
        ctx.reply.video({ media_id: 'v', thumb_media_id: 't', title: 'T', description: 'D' });
        ctx.reply.music({ title: 'T', description: 'D', musicurl: 'u', hqmusicurl: 'h', thumb_media_id: 't' });
        ctx.reply.news({ title: 'T', description: 'D', url: 'u', picurl: 'p' });
        ctx.reply.mpnews('m');
        ctx.reply.mpnewsarticle('a');
        ctx.reply.msgmenu({ head_content: 'h', list: [{ id: '1', content: 'yes' }], tail_content: 't' });
        ctx.reply.wxcard('c');
        ctx.reply.miniprogrampage({ title: 'T', appid: 'wxmini', pagepath: 'p', thumb_media_id: 't' });
        ctx.reply.text('to someone else', { to: 'oOther' });
      }),
    );
    const { ctx } = await run(all, imageMessage());
    expect(ctx.replies[0]).toEqual({ kind: 'typing', touser: 'oUser0000000000000000000001', command: 'Typing' });
    expect(ctx.replies[1]).toEqual({
      kind: 'message',
      message: {
        touser: 'oUser0000000000000000000001',
        msgtype: 'image',
        image: { media_id: 'm1' },
        customservice: { kf_account: 'kf1@test' },
      },
    });
    expect(ctx.replies.slice(2).map((r) => (r.kind === 'message' ? r.message.msgtype : r.kind))).toEqual([
      'voice',
      'video',
      'music',
      'news',
      'mpnews',
      'mpnewsarticle',
      'msgmenu',
      'wxcard',
      'miniprogrampage',
      'text',
    ]);
    expect(ctx.replies.at(-1)).toMatchObject({ message: { touser: 'oOther' } });
  });

  it('records nothing and logs at debug when no route matches and there is no fallback', async () => {
    const none = defineHandlers((r) => r.text('x', () => undefined));
    const { ctx, logs } = await run(none, eventMessage('subscribe'));
    expect(ctx.replies).toEqual([]);
    expect(logs.lines().map((l) => l['msg'])).toContain('no handler matched');
  });

  it('narrows handler arguments by route', () => {
    defineHandlers((r) =>
      r
        .text('a', (m) => {
          expectTypeOf(m).toEqualTypeOf<TextMessage>();
        })
        .event('CLICK', (e) => {
          expectTypeOf(e).toEqualTypeOf<ClickEvent>();
        }),
    );
  });

  it('demo handlers echo text and welcome followers', async () => {
    expect((await run(demoHandlers, textMessage('你好 👋'))).ctx.replies).toMatchObject([
      { message: { text: { content: '你好 👋' } } },
    ]);
    expect((await run(demoHandlers, eventMessage('subscribe'))).ctx.replies).toHaveLength(1);
  });
});

describe('middleware', () => {
  it('runs as an onion around the route, in declaration order', async () => {
    const order: string[] = [];
    const handlers = defineHandlers((r) =>
      r
        .use(async (_ctx, next) => {
          order.push('a in');
          await next();
          order.push('a out');
        })
        .use(async (_ctx, next) => {
          order.push('b in');
          await next();
          order.push('b out');
        })
        .fallback(() => {
          order.push('handler');
        }),
    );
    await run(handlers, textMessage('x'));
    expect(order).toEqual(['a in', 'b in', 'handler', 'b out', 'a out']);
  });

  it('can stop the chain by not calling next', async () => {
    const handlers = defineHandlers((r) =>
      r
        .use(() => undefined)
        .fallback((_m, ctx) => {
          ctx.reply.text('never');
        }),
    );
    expect((await run(handlers, textMessage('x'))).ctx.replies).toEqual([]);
  });

  it('refuses next() called twice', async () => {
    const twice = compose(
      [
        async (_ctx, next) => {
          await next();
          await next();
        },
      ],
      () => Promise.resolve(),
    );
    const { ctx } = contextFor(textMessage('x'), redis);
    await expect(twice(ctx)).rejects.toThrow('next() called more than once');
  });

  it('perUserRateLimit answers a user at most max times per window, across contexts', async () => {
    const limited: string[] = [];
    const handlers = defineHandlers((r) =>
      r
        .use(
          perUserRateLimit({
            max: 2,
            windowSeconds: 60,
            onLimited: (ctx) => {
              limited.push(ctx.message.FromUserName);
            },
          }),
        )
        .fallback((_m, ctx) => {
          ctx.reply.text('ok');
        }),
    );
    // A unique user per run: the counter lives in the shared test Redis.
    const user = `oRate${String(Date.now())}${String(Math.random()).slice(2, 8)}`;
    const message = { ...textMessage('x'), FromUserName: user };
    const counts = [];
    for (let i = 0; i < 4; i += 1) counts.push((await run(handlers, message)).ctx.replies.length);
    expect(counts).toEqual([1, 1, 0, 0]);
    expect(limited).toEqual([user, user]);
  });

  it('perUserRateLimit counts under the deployment prefix: two deployments sharing a Redis share no counter', async () => {
    const handlers = defineHandlers((r) =>
      r.use(perUserRateLimit({ max: 1, windowSeconds: 60 })).fallback((_m, ctx) => {
        ctx.reply.text('ok');
      }),
    );
    const message = { ...textMessage('x'), FromUserName: `oPrefix${String(Date.now())}` };
    const answered = async (prefix: string) => {
      const { ctx } = contextFor(message, redis, prefix);
      await handlers.handle(ctx);
      return ctx.replies.length;
    };
    const [a, b] = [`{test-a-${String(Date.now())}}`, `{test-b-${String(Date.now())}}`];
    expect([await answered(a), await answered(a), await answered(b)]).toEqual([1, 0, 1]);
    expect(await redis.keys(`${a}:ratelimit:*`)).toHaveLength(1);
  });

  it('perUserRateLimit validates its options', () => {
    expect(() => perUserRateLimit({ max: 0, windowSeconds: 1 })).toThrow(RangeError);
    expect(() => perUserRateLimit({ max: 1, windowSeconds: 0.5 })).toThrow(RangeError);
  });
});
