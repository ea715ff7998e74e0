import { describe, expect, it } from 'vitest';
import { readMsgid } from './msgid.js';

const read = (text: string): string | undefined => readMsgid(JSON.parse(text) as Record<string, unknown>, text);

describe('readMsgid: the msgid digit for digit (docs/wechat-protocol.md §11.1)', () => {
  it.each(['200228332', '9007199254740993', '1700827132819554304', '18446744073709551615', '0'])(
    '%s, which JSON.parse alone would round above 2^53',
    (digits) => {
      expect(read(`{"errcode":0,"errmsg":"ok","msgid":${digits}}`)).toBe(digits);
    },
  );

  it('with whitespace, first or last, and as a string of digits', () => {
    expect(read('{ "msgid" :\n 9007199254740993 , "errcode": 0 }')).toBe('9007199254740993');
    expect(read('{"errcode":0,"msgid":"9007199254740993"}')).toBe('9007199254740993');
  });

  it('is not fooled by "msgid" inside errmsg or by a nested msgid that rounds differently', () => {
    expect(read('{"errcode":0,"errmsg":"ok \\"msgid\\":1","msgid":1700827132819554304}')).toBe('1700827132819554304');
    expect(read('{"errcode":0,"extra":{"msgid":5},"msgid":1700827132819554304}')).toBe('1700827132819554304');
  });

  it('answers undefined when there is none, or none that can be read exactly', () => {
    expect(read('{"errcode":0,"errmsg":"ok"}')).toBeUndefined();
    expect(read('{"errcode":0,"msgid":null}')).toBeUndefined();
    expect(read('{"errcode":0,"msgid":-5}')).toBeUndefined();
    expect(read('{"errcode":0,"msgid":1.5}')).toBeUndefined();
    expect(read('{"errcode":0,"msgid":1e21}')).toBeUndefined();
    expect(read('{"errcode":0,"msgid":"12abc"}')).toBeUndefined();
    expect(read('{"errcode":0,"msgid":{"id":1}}')).toBeUndefined();
    // Two different digit strings that both round to the parsed value: which one is WeChat's?
    expect(read('{"a":{"msgid":9007199254740993},"msgid":9007199254740992}')).toBeUndefined();
  });
});
