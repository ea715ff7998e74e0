import { Redis } from 'ioredis';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { contextFor, eventMessage, textMessage } from '../test/context-for.js';
import { demoHandlers } from './demo.js';

const redis = new Redis(inject('redisUrl'));
afterAll(async () => {
  await redis.quit();
});

async function texts(message: ReturnType<typeof textMessage>): Promise<string[]> {
  const { ctx } = contextFor(message, redis);
  await demoHandlers.handle(ctx);
  return ctx.replies.map((r) =>
    r.kind === 'message' && r.message.msgtype === 'text' ? r.message.text.content : `<${r.kind}>`,
  );
}

describe('demo handlers', () => {
  it('#multi N TEXT records N replies, in order, exactly 1/N TEXT ... N/N TEXT', async () => {
    expect(await texts(textMessage('#multi 3 hello world'))).toEqual([
      '1/3 hello world',
      '2/3 hello world',
      '3/3 hello world',
    ]);
    expect(await texts(textMessage('#multi 10 x'))).toHaveLength(10);
    expect(await texts(textMessage('#multi 1 x'))).toEqual(['1/1 x']);
  });

  it('#multi outside 1..10 says so instead of flooding', async () => {
    expect(await texts(textMessage('#multi 0 x'))).toEqual(['#multi takes 1 to 10 replies']);
    expect(await texts(textMessage('#multi 11 x'))).toEqual(['#multi takes 1 to 10 replies']);
    // Not the #multi shape at all: echoed.
    expect(await texts(textMessage('#multi many x'))).toEqual(['#multi many x']);
  });

  it('#slow MS TEXT waits, then answers exactly TEXT', async () => {
    const started = performance.now();
    expect(await texts(textMessage('#slow 150 done'))).toEqual(['done']);
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
    expect(await texts(textMessage('#slow 20001 x'))).toEqual(['#slow waits at most 20000 ms']);
  });

  it('#notify TEXT records a template message of the demo template, its id in the reply', async () => {
    const { ctx } = contextFor(textMessage('#notify Order 42 has shipped to you today'), redis);
    await demoHandlers.handle(ctx);
    const [notification] = ctx.notifications;
    expect(ctx.notifications).toHaveLength(1);
    expect(notification?.request).toEqual({
      account: 'wx0123456789abcdef',
      to: 'oUser0000000000000000000001',
      // WeChat takes 20 characters in a thing keyword.
      template: { id: 'demo_template', data: { thing1: { value: 'Order 42 has shipped' } } },
    });
    const [reply] = ctx.replies;
    expect(ctx.replies).toHaveLength(1);
    expect(reply?.kind === 'message' && reply.message.msgtype === 'text' ? reply.message.text.content : '').toContain(
      notification?.id ?? '?',
    );
  });

  it('echoes any other text, welcomes followers and names the menu key', async () => {
    expect(await texts(textMessage('你好 👋'))).toEqual(['你好 👋']);
    expect(await texts(eventMessage('subscribe'))).toHaveLength(1);
    expect(await texts(eventMessage('CLICK', 'MENU_HELP'))).toEqual(['You clicked MENU_HELP']);
    expect(await texts(eventMessage('unsubscribe'))).toEqual([]);
  });
});
