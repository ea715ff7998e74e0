import { readFileSync } from 'node:fs';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { type ErrorKind, SEND_POLICY, type SendAction, classifyErrcode, isKnownErrcode } from './send-policy.js';

// The lists as docs/wechat-protocol.md §6.3, §7.3 and §7.5 give them, written out again here so
// the table is checked against the reference rather than against itself.
const DOCUMENTED_ACTIONS: Record<Exclude<SendAction, 'sent'>, readonly number[]> = {
  retry: [-1],
  pause_account: [45009, 45011],
  refresh_token: [40001, 40014, 42001],
  close_window: [45015, 43004],
  exhaust_window: [45047],
  refuse: [
    40003, 48001, 48002, 43019, 40007, 40008, 45002, 45008, 44002, 44004, 47001, 40033, 40200, 61451, 61452, 41001,
    40013, 40125, 40164, 40002, 45072, 45080, 45081,
  ],
};

const DOCUMENTED_KINDS: Record<ErrorKind, readonly number[]> = {
  retryable: [-1, 45011],
  token_invalid: [40001, 40014, 42001],
  permanent: [
    45015, 45047, 40003, 43004, 48001, 48002, 43019, 40007, 40008, 45002, 45008, 44002, 44004, 47001, 40033, 40200,
    61451, 61452, 41001, 45009, 40013, 40125, 40164, 40002, 45072, 45080, 45081,
  ],
};

const sorted = (codes: readonly number[]) => [...codes].sort((a, b) => a - b);

/** Every errcode (once) in the first cell of a table row in §6 (access_token) and §7 (customer-service API). */
function errcodesInTheDocsTables(): number[] {
  const doc = readFileSync(new URL('../../../docs/wechat-protocol.md', import.meta.url), 'utf8');
  const from = doc.indexOf('\n## 6.');
  const to = doc.indexOf('\n## 8.');
  expect(from).toBeGreaterThan(0);
  expect(to).toBeGreaterThan(from);
  const codes: number[] = [];
  for (const line of doc.slice(from, to).split('\n')) {
    const cell = /^\|([^|]+)\|/.exec(line)?.[1]?.trim();
    if (cell === undefined || !/^[−-]?\d+(, [−-]?\d+)*$/.test(cell)) continue;
    for (const code of cell.split(', ')) codes.push(Number(code.replace('−', '-')));
  }
  return sorted([...new Set(codes)].filter((code) => code !== 0));
}

describe('the send policy', () => {
  it('has exactly one row for every errcode in the tables of docs/wechat-protocol.md §6 and §7', () => {
    const documented = errcodesInTheDocsTables();
    expect(documented.length).toBeGreaterThan(30);
    expect(sorted(Object.keys(SEND_POLICY).map(Number))).toStrictEqual(documented);
  });

  it("does what §7.5's table says wxq does: each errcode's row has the action its last column names first", () => {
    const doc = readFileSync(new URL('../../../docs/wechat-protocol.md', import.meta.url), 'utf8');
    const table = doc.slice(
      doc.indexOf("| errcode | Meaning | Reference advice | wxq's action |"),
      doc.indexOf('\n## 8.'),
    );
    let checked = 0;
    for (const line of table.split('\n')) {
      const cells = line.split('|').map((cell) => cell.trim());
      const codes = cells[1] ?? '';
      if (!/^[−-]?\d+(, [−-]?\d+)*$/.test(codes) || codes === '0') continue;
      const action = /^`([a-z_]+)`/.exec(cells.at(-2) ?? '')?.[1];
      for (const code of codes.split(', ')) {
        expect(SEND_POLICY[Number(code.replace('−', '-')) as keyof typeof SEND_POLICY].action, code).toBe(action);
        checked += 1;
      }
    }
    expect(checked).toBe(Object.keys(SEND_POLICY).length);
  });

  it.each(
    Object.entries(DOCUMENTED_ACTIONS).flatMap(([action, codes]) => codes.map((errcode) => ({ errcode, action }))),
  )('$errcode: $action', ({ errcode, action }) => {
    expect(isKnownErrcode(errcode)).toBe(true);
    expect(SEND_POLICY[errcode as keyof typeof SEND_POLICY].action).toBe(action);
  });

  it('holds the documented actions and nothing else, each row citing a section of the reference with a why', () => {
    expect(sorted(Object.keys(SEND_POLICY).map(Number))).toStrictEqual(
      sorted(Object.values(DOCUMENTED_ACTIONS).flat()),
    );
    for (const rule of Object.values(SEND_POLICY)) {
      expect(rule.ref).toMatch(/^§\d/);
      expect(rule.why.length).toBeGreaterThan(5);
      expect(rule.sends.length).toBeGreaterThan(0);
    }
  });

  it('pauses the account for the day on 45009 and for the minute on 45011; typing codes only for typing', () => {
    expect(SEND_POLICY[45009].pause).toBe('day');
    expect(SEND_POLICY[45011].pause).toBe('minute');
    for (const code of [45072, 45080, 45081] as const) expect(SEND_POLICY[code].sends).toStrictEqual(['typing']);
    expect(SEND_POLICY[45015].sends).toContain('custom');
  });
});

describe('the errcode kinds read off the policy', () => {
  it.each(Object.entries(DOCUMENTED_KINDS).flatMap(([kind, codes]) => codes.map((errcode) => ({ errcode, kind }))))(
    '$errcode is $kind',
    ({ errcode, kind }) => {
      expect(isKnownErrcode(errcode)).toBe(true);
      expect(classifyErrcode(errcode)).toBe(kind);
    },
  );

  it('treats unknown errcodes as permanent, so a bug never hammers WeChat', () => {
    expect(isKnownErrcode(99999)).toBe(false);
    expect(classifyErrcode(99999)).toBe('permanent');
    expect(classifyErrcode(0.5)).toBe('permanent');
  });

  it('on the token endpoints, token errcodes are configuration errors: 40001 means a wrong secret (docs/wechat-protocol.md §6.3)', () => {
    expect(classifyErrcode(40001, 'token_endpoint')).toBe('permanent');
    expect(classifyErrcode(40014, 'token_endpoint')).toBe('permanent');
    expect(classifyErrcode(42001, 'token_endpoint')).toBe('permanent');
    expect(classifyErrcode(-1, 'token_endpoint')).toBe('retryable');
    expect(classifyErrcode(40164, 'token_endpoint')).toBe('permanent');
  });

  it('keeps literal actions (satisfies, not a widening annotation)', () => {
    expectTypeOf(SEND_POLICY[45015].action).toEqualTypeOf<'close_window'>();
    expectTypeOf(SEND_POLICY[40001].action).toEqualTypeOf<'refresh_token'>();
    expectTypeOf(SEND_POLICY[-1].action).toEqualTypeOf<'retry'>();
  });
});
