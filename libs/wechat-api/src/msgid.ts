import type { JsonRecord } from './http.js';

// Every top-level-looking `"msgid": <integer>` of the raw text. Inside a JSON string a quote is
// escaped (`\"msgid\":1`), so text in errmsg cannot match; a nested object could, which is why the
// match must also agree with what JSON.parse read (below).
const MSGID_NUMBER = /"msgid"\s*:\s*(\d+)(?![\d.eE])/g;
const DIGITS = /^\d{1,20}$/;

/**
 * The `msgid` of a notification send's answer, digit for digit (docs/wechat-protocol.md §11.1): a
 * 64-bit integer that JSON.parse rounds above 2^53, so its digits are read from the raw text, and
 * JSON.parse's value picks out which `"msgid":` is the top-level one: among the numbers written
 * after one, exactly one distinct digit string must round to it. A string of digits is taken as it
 * is. Undefined when the answer has none, or none that can be read exactly: the send succeeded all
 * the same (errcode 0), so this never throws.
 */
export function readMsgid(record: JsonRecord, text: string): string | undefined {
  const parsed = record.msgid;
  if (typeof parsed === 'string') return DIGITS.test(parsed) ? parsed : undefined;
  if (typeof parsed !== 'number' || !Number.isInteger(parsed) || parsed < 0) return undefined;
  const candidates = new Set<string>();
  for (const match of text.matchAll(MSGID_NUMBER)) {
    const digits = match[1] ?? '';
    if (Number(digits) === parsed) candidates.add(digits);
  }
  const [digits, ...others] = candidates;
  return digits !== undefined && others.length === 0 && DIGITS.test(digits) ? digits : undefined;
}
