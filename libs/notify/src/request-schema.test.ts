import { describe, expect, it } from 'vitest';
import { messageRequestSchema } from './request-schema.js';

const paths = (input: unknown) =>
  messageRequestSchema.safeParse(input).error?.issues.map((issue) => issue.path.join('.')) ?? [];

describe('messageRequestSchema', () => {
  it('takes a template message and a subscribe notification', () => {
    const template = { to: 'oUser1', template: { id: 'T1', data: { thing1: { value: 'x', color: '#173177' } } } };
    expect(messageRequestSchema.parse(template)).toEqual(template);
    const subscribe = { account: 'wx0123456789abcdef', to: 'oUser1', subscribe: { id: 'S1', data: {}, page: 'p' } };
    expect(messageRequestSchema.parse(subscribe)).toEqual(subscribe);
  });

  it('wants exactly one of template, subscribe or customerService', () => {
    expect(paths({ to: 'o' })).toEqual(['template']);
    const data = { id: 'T', data: {} };
    expect(paths({ to: 'o', template: data, subscribe: data })).toEqual(['template']);
    const text = { msgtype: 'text', text: { content: 'hi' } };
    expect(paths({ to: 'o', template: data, customerService: text })).toEqual(['template']);
  });

  it('takes a customer-service body as WeChat defines it, without touser, and refuses anything else in it', () => {
    const text = { to: 'o', customerService: { msgtype: 'text', text: { content: 'hi' } } };
    expect(messageRequestSchema.parse(text)).toEqual(text);
    const kf = {
      to: 'o',
      customerService: { msgtype: 'image', image: { media_id: 'M' }, customservice: { kf_account: 'a@b' } },
    };
    expect(messageRequestSchema.parse(kf)).toEqual(kf);
    // The recipient is `to`; a touser of its own would be a second one.
    expect(paths({ to: 'o', customerService: { ...text.customerService, touser: 'x' } })).toEqual(['customerService']);
    expect(paths({ to: 'o', customerService: { msgtype: 'text', text: { content: 'hi', extra: 1 } } })).toEqual([
      'customerService.text',
    ]);
    expect(paths({ to: 'o', customerService: { msgtype: 'fax' } })).toEqual(['customerService.msgtype']);
    const twoArticles = { title: 't', url: 'https://e.com' };
    expect(
      paths({ to: 'o', customerService: { msgtype: 'news', news: { articles: [twoArticles, twoArticles] } } }),
    ).toEqual(['customerService.news.articles']);
  });

  it('refuses unknown fields, bad ids and keywords, reserved names, too many keywords, huge values', () => {
    expect(paths({ to: 'o', template: { id: 'T', data: {} }, fax: {} })).toEqual(['']);
    expect(paths({ to: 'o user', template: { id: 'T', data: {} } })).toEqual(['to']);
    expect(paths({ to: 'o', template: { id: 'T', data: { 'thing-1': { value: 'x' } } } })).toEqual([
      'template.data.thing-1',
    ]);
    // As JSON.parse reads it: an own key named __proto__, which an object spread would drop.
    const proto = JSON.parse('{"to":"o","template":{"id":"T","data":{"__proto__":{"value":"x"}}}}') as unknown;
    expect(paths(proto)).toEqual(['template.data.__proto__']);
    const many = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${String(i)}`, { value: 'x' }]));
    expect(paths({ to: 'o', template: { id: 'T', data: many } })).toEqual(['template.data']);
    expect(paths({ to: 'o', template: { id: 'T', data: { a: { value: 'x'.repeat(4097) } } } })).toEqual([
      'template.data.a.value',
    ]);
    expect(paths({ to: 'o', template: { id: 'T', data: {}, url: 'javascript:alert(1)' } })).toEqual(['template.url']);
  });
});
