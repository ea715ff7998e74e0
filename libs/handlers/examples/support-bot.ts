import { defineHandlers, logMessages, perUserRateLimit } from '@wxq/handlers';

// A small support bot: greet, answer a menu click, echo images, and count each user's messages
// in Redis under the deployment's prefix.
export default defineHandlers((r) =>
  r
    .use(logMessages())
    .use(perUserRateLimit({ max: 20, windowSeconds: 60 }))
    .text(/^hi\b/i, (msg, ctx) => {
      ctx.reply.text(`hello ${msg.FromUserName}`);
    })
    .text('count', async (msg, ctx) => {
      const seen = await ctx.redis.incr(ctx.keys.handler('count', msg.FromUserName));
      ctx.reply.text(`you asked ${String(seen)} time(s)`);
    })
    .event('subscribe', (_event, ctx) => {
      ctx.reply.text('welcome!');
    })
    .event('CLICK', 'MENU_HELP', (_event, ctx) => {
      ctx.reply.news({ title: 'Help', description: 'How to use this account', url: 'https://example.com/help' });
    })
    .message('image', (img, ctx) => {
      ctx.reply.image(img.MediaId);
    })
    .fallback((_msg, ctx) => {
      ctx.reply.text('Sorry, I did not understand. Send "hi".');
    }),
);
