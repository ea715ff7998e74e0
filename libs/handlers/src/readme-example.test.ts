import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, inject, it } from 'vitest';
import supportBot from '../examples/support-bot.js';
import { contextFor, eventMessage, imageMessage, textMessage } from '../test/context-for.js';

const redis = new Redis(inject('redisUrl'));
afterAll(async () => {
  await redis.quit();
});

async function repliesTo(message: ReturnType<typeof textMessage>, keyPrefix?: string) {
  const { ctx } = contextFor(message, redis, keyPrefix);
  await supportBot.handle(ctx);
  return ctx.replies;
}

describe('the README example', () => {
  it('is the file the README shows, byte for byte', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const example = readFileSync(new URL('../examples/support-bot.ts', import.meta.url), 'utf8');
    expect(readme).toContain('```ts\n' + example + '```');
  });

  it('answers what it says it answers', async () => {
    const user = textMessage('hi there');
    expect(await repliesTo(user)).toEqual([
      {
        kind: 'message',
        message: { touser: user.FromUserName, msgtype: 'text', text: { content: `hello ${user.FromUserName}` } },
      },
    ]);
    expect(await repliesTo(eventMessage('subscribe'))).toMatchObject([{ message: { text: { content: 'welcome!' } } }]);
    expect(await repliesTo(eventMessage('CLICK', 'MENU_HELP'))).toMatchObject([{ message: { msgtype: 'news' } }]);
    expect(await repliesTo(imageMessage())).toMatchObject([
      { message: { msgtype: 'image', image: { media_id: 'm1' } } },
    ]);
    expect(await repliesTo(textMessage('what?'))).toMatchObject([
      { message: { text: { content: 'Sorry, I did not understand. Send "hi".' } } },
    ]);
  });

  it('keeps its counter under the deployment prefix', async () => {
    const prefix = `{test-example-${String(Date.now())}}`;
    await repliesTo(textMessage('count'), prefix);
    expect(await repliesTo(textMessage('count'), prefix)).toMatchObject([
      { message: { text: { content: 'you asked 2 time(s)' } } },
    ]);
    expect(await redis.keys(`${prefix}:handler:count:*`)).toHaveLength(1);
  });
});
