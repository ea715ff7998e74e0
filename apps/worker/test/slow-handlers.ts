import { setTimeout as delay } from 'node:timers/promises';
import { defineHandlers } from '@wxq/handlers';

// Test-only handlers (loaded through WXQ_HANDLERS by a child worker): echo after 100 ms of "work",
// so that a kill lands while messages are in the middle of being handled.
export default defineHandlers((r) =>
  r.text(/[\s\S]*/, async (message, ctx) => {
    await delay(100);
    ctx.reply.text(`echo: ${message.Content}`);
  }),
);
