import { Redis } from 'ioredis';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { contextFor, textMessage } from '../test/context-for.js';

const redis = new Redis(inject('redisUrl'));
afterAll(async () => {
  await redis.quit();
});

const shipped = { id: 'TPL_SHIPPED', data: { thing1: { value: 'Order 42' } } };

describe('ctx.notify', () => {
  it('records requests for the push’s account and sender, another user with `to`', () => {
    const { ctx } = contextFor(textMessage('x'), redis);
    ctx.notify.template(shipped);
    ctx.notify.subscribe({ id: 'SUB_1', data: { time2: { value: '10:00' } }, page: 'pages/a' }, { to: 'oOther' });
    expect(ctx.notifications.map((n) => n.request)).toEqual([
      { account: 'wx0123456789abcdef', to: 'oUser0000000000000000000001', template: shipped },
      {
        account: 'wx0123456789abcdef',
        to: 'oOther',
        subscribe: { id: 'SUB_1', data: { time2: { value: '10:00' } }, page: 'pages/a' },
      },
    ]);
  });

  it('answers ids made from the push and the place: the same on a re-run, another for another push', () => {
    const run = (pushId: string) => {
      const { ctx } = contextFor(textMessage('x'), redis, undefined, undefined, pushId);
      return [ctx.notify.template(shipped), ctx.notify.template(shipped)];
    };
    const first = run('in-aaaa');
    expect(first[0]).toMatch(/^ntf_[0-9a-f]{32}$/);
    expect(first[0]).not.toBe(first[1]);
    expect(run('in-aaaa')).toEqual(first);
    expect(run('in-bbbb')).not.toContain(first[0]);
  });

  it('throws a TypeError naming the field for what the API would refuse, and records nothing', () => {
    const { ctx } = contextFor(textMessage('x'), redis);
    expect(() => ctx.notify.template({ id: 'T', data: { 'bad-key': { value: 'x' } } })).toThrow(
      /ctx\.notify:[\s\S]*template\.data\["bad-key"\]/,
    );
    expect(() => ctx.notify.template({ ...shipped, url: 'javascript:alert(1)' })).toThrow(TypeError);
    expect(() => ctx.notify.template(shipped, { to: 'o user' })).toThrow(/to/);
    expect(ctx.notifications).toEqual([]);
  });

  it('records nothing once the attempt is abandoned', () => {
    const attempt = new AbortController();
    const { ctx } = contextFor(textMessage('x'), redis, undefined, attempt.signal);
    ctx.notify.template(shipped);
    attempt.abort();
    expect(ctx.notify.template(shipped)).toMatch(/^ntf_/);
    expect(ctx.notifications).toHaveLength(1);
  });
});
