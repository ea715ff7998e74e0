import { setTimeout as delay } from 'node:timers/promises';
import { defineHandlers } from './define.js';

/** `#multi N TEXT`: N replies (1..10), `1/N TEXT` ... `N/N TEXT`, recorded in order. */
const MULTI = /^#multi (\d{1,2}) ([\s\S]+)$/;
/** `#slow MS TEXT`: one reply, `TEXT`, after MS milliseconds (0..20000: below WXQ_HANDLER_TIMEOUT_MS's default). */
const SLOW = /^#slow (\d{1,5}) ([\s\S]+)$/;
/** `#notify TEXT`: a template message with TEXT (ctx.notify), and a reply naming its id. */
const NOTIFY = /^#notify ([\s\S]+)$/;
/** The simulator's demo template message (libs/wechat-sim DEMO_TEMPLATES). */
const DEMO_TEMPLATE = 'demo_template';
/** A template keyword's value WeChat takes (thing: 20 characters). */
const MAX_THING = 20;
const MAX_MULTI = 10;
const MAX_SLOW_MS = 20_000;

/**
 * What a new install does without WXQ_HANDLERS: echo text back, welcome new followers, name the
 * menu key clicked; `#multi` and `#slow` show per-user ordering at work, `#notify` a handler's
 * template message (README, "Demo handlers").
 */
export const demoHandlers = defineHandlers((r) =>
  r
    .text(MULTI, (message, ctx) => {
      const [, count = '', text = ''] = MULTI.exec(message.Content) ?? [];
      const n = Number(count);
      if (n < 1 || n > MAX_MULTI) {
        ctx.reply.text(`#multi takes 1 to ${MAX_MULTI} replies`);
        return;
      }
      for (let i = 1; i <= n; i += 1) ctx.reply.text(`${i}/${n} ${text}`);
    })
    .text(SLOW, async (message, ctx) => {
      const [, ms = '', text = ''] = SLOW.exec(message.Content) ?? [];
      if (Number(ms) > MAX_SLOW_MS) {
        ctx.reply.text(`#slow waits at most ${MAX_SLOW_MS} ms`);
        return;
      }
      // The attempt's signal: a timed-out attempt stops waiting instead of holding a timer.
      await delay(Number(ms), undefined, { signal: ctx.signal });
      ctx.reply.text(text);
    })
    .text(NOTIFY, (message, ctx) => {
      const [, text = ''] = NOTIFY.exec(message.Content) ?? [];
      const id = ctx.notify.template({
        id: DEMO_TEMPLATE,
        data: { thing1: { value: Array.from(text).slice(0, MAX_THING).join('') } },
      });
      ctx.reply.text(`Template message ${id} queued: GET /api/v1/messages/${id} follows it`);
    })
    .text(/[\s\S]*/, (message, ctx) => {
      ctx.reply.text(message.Content);
    })
    .event('subscribe', (_event, ctx) => {
      ctx.reply.text('Welcome! Send me a message and I will echo it back.');
    })
    .event('CLICK', (event, ctx) => {
      ctx.reply.text(`You clicked ${event.EventKey}`);
    }),
);
