import { describe, expect, it } from 'vitest';
import { WechatErrcodeError } from './errors.js';
import { throwIfErrcode, toWechatJson } from './http.js';

describe('toWechatJson', () => {
  it('writes non-ASCII text as UTF-8 characters, not \\u escapes (40033, docs/wechat-protocol.md §7.1)', () => {
    const body = toWechatJson({ touser: 'o1', msgtype: 'text', text: { content: 'Hello 世界 👋🏽' } });
    expect(body).toBe('{"touser":"o1","msgtype":"text","text":{"content":"Hello 世界 👋🏽"}}');
    expect(body).not.toMatch(/\\u/);
  });

  it('replaces lone surrogates, which JSON.stringify would escape, with U+FFFD', () => {
    const body = toWechatJson({ list: [{ content: `a\uD83Db` }, { content: `\uDC4B` }] });
    expect(body).toBe('{"list":[{"content":"a\uFFFDb"},{"content":"\uFFFD"}]}');
    expect(body).not.toMatch(/\\u/);
  });

  it('leaves text that only looks like an escape, and replaces one right after a backslash', () => {
    // The user typed a backslash and "udc4b": six characters of text, JSON "\\udc4b".
    expect(toWechatJson({ content: '\\udc4b' })).toBe('{"content":"\\\\udc4b"}');
    expect(JSON.parse(toWechatJson({ content: '\\udc4b' }))).toEqual({ content: '\\udc4b' });
    // A backslash, then a lone surrogate: JSON "\\" then the escape, which is replaced.
    expect(JSON.parse(toWechatJson({ content: '\\\uDC4B\uDC4Bx' }))).toEqual({ content: '\\\uFFFD\uFFFDx' });
    // Keys are text too.
    expect(toWechatJson({ ['k\uD83D']: 1 })).toBe('{"k\uFFFD":1}');
  });
});

describe('throwIfErrcode', () => {
  const request = { path: '/cgi-bin/message/custom/send', secrets: ['SECRET-TOKEN-VALUE'] };

  it('passes errcode 0 and answers without errcode', () => {
    expect(() => {
      throwIfErrcode({ errcode: 0, errmsg: 'ok' }, request, 'api');
    }).not.toThrow();
    expect(() => {
      throwIfErrcode({ ip_list: [] }, request, 'api');
    }).not.toThrow();
  });

  it('scrubs a secret WeChat might echo from the errmsg it keeps', () => {
    let caught: unknown;
    try {
      throwIfErrcode({ errcode: 40001, errmsg: 'invalid credential SECRET-TOKEN-VALUE rid: 1' }, request, 'api');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(WechatErrcodeError);
    expect(caught).toMatchObject({
      errcode: 40001,
      errmsg: 'invalid credential [redacted] rid: 1',
      kind: 'token_invalid',
    });
    expect((caught as Error).message).not.toContain('SECRET-TOKEN-VALUE');
  });

  it('refuses an errcode that is not an integer', () => {
    expect(() => {
      throwIfErrcode({ errcode: '40001' }, request, 'api');
    }).toThrow(expect.objectContaining({ code: 'bad_response', kind: 'permanent' }));
  });
});
