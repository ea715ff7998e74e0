import { defineHandlers } from './define.js';

/** What a new install does without WXQ_HANDLERS: echo text back, welcome new followers. */
export const demoHandlers = defineHandlers((r) =>
  r
    .text(/[\s\S]*/, (message, ctx) => {
      ctx.reply.text(message.Content);
    })
    .event('subscribe', (_event, ctx) => {
      ctx.reply.text('Welcome! Send me a message and I will echo it back.');
    }),
);
