import { describe, expect, it } from 'vitest';
import { toWechatJson } from './http.js';

describe('toWechatJson', () => {
  it('writes non-ASCII text as UTF-8 characters, not \\u escapes (40033, §7.1)', () => {
    const body = toWechatJson({ touser: 'o1', msgtype: 'text', text: { content: 'Hello 世界 👋🏽' } });
    expect(body).toBe('{"touser":"o1","msgtype":"text","text":{"content":"Hello 世界 👋🏽"}}');
    expect(body).not.toMatch(/\\u/);
  });

  it('replaces lone surrogates, which JSON.stringify would escape, with U+FFFD', () => {
    const body = toWechatJson({ list: [{ content: `a\uD83Db` }, { content: `\uDC4B` }] });
    expect(body).toBe('{"list":[{"content":"a\uFFFDb"},{"content":"\uFFFD"}]}');
    expect(body).not.toMatch(/\\u/);
  });
});
