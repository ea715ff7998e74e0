import { readFileSync } from 'node:fs';
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  type ErrorKind,
  SEND_POLICY,
  type SendAction,
  type SendKind,
  type SendRow,
  type SendRule,
  TOO_OFTEN_RETRY_AFTER_SECONDS,
  classifyErrcode,
  isKnownErrcode,
  ruleFor,
} from './send-policy.js';

// The lists as docs/wechat-protocol.md §6.3, §7.3, §7.5, §11.2 and §12.2 give them (each row's
// first rule), written out again here so the table is checked against the reference rather than
// against itself.
const DOCUMENTED_ACTIONS: Record<SendAction, readonly number[]> = {
  sent: [40241],
  retry: [-1],
  retry_later: [43117],
  pause_account: [45009, 45011],
  refresh_token: [40001, 40014, 42001],
  close_window: [45015, 43004],
  exhaust_window: [45047],
  refuse: [
    40003, 48001, 48002, 43019, 40007, 40008, 45002, 45008, 44002, 44004, 47001, 40033, 40200, 61451, 61452, 41001,
    40013, 40125, 40164, 40002, 45072, 45080, 45081, 47003,
  ],
  stop_batch: [40037, 43116],
  clear_consent: [43101],
};

const DOCUMENTED_KINDS: Record<ErrorKind, readonly number[]> = {
  retryable: [-1, 45011, 43117],
  token_invalid: [40001, 40014, 42001],
  permanent: [
    45015, 45047, 40003, 43004, 48001, 48002, 43019, 40007, 40008, 45002, 45008, 44002, 44004, 47001, 40033, 40200,
    61451, 61452, 41001, 45009, 40013, 40125, 40164, 40002, 45072, 45080, 45081, 40037, 43116, 47003, 40241, 43101,
  ],
};

const KINDS: readonly SendKind[] = ['custom', 'typing', 'template', 'subscribe'];

const readDoc = () => readFileSync(new URL('../../../docs/wechat-protocol.md', import.meta.url), 'utf8');

/** The part of the doc from the heading `from` to the heading `to` (both lines starting with it). */
function section(doc: string, from: string, to: string): string {
  const start = doc.indexOf(`\n${from}`);
  const end = doc.indexOf(`\n${to}`, start + 1);
  expect(start, from).toBeGreaterThan(0);
  expect(end, to).toBeGreaterThan(start);
  return doc.slice(start, end);
}

const CODES_CELL = /^[−-]?\d+(, [−-]?\d+)*$/;
const toCode = (text: string): number => Number(text.replace('−', '-'));

const sorted = (codes: readonly number[]) => [...codes].sort((a, b) => a - b);

/**
 * Every errcode (once) in the first cell of a table row in §6 (access_token), §7 (customer-service
 * API), §11 (template messages) and §12 (subscribe notifications).
 */
function errcodesInTheDocsTables(): number[] {
  const doc = readDoc();
  const text = section(doc, '## 6.', '## 8.') + section(doc, '## 11.', '## Appendix A.');
  const codes: number[] = [];
  for (const line of text.split('\n')) {
    const cell = /^\|([^|]+)\|/.exec(line)?.[1]?.trim();
    if (cell === undefined || !CODES_CELL.test(cell)) continue;
    for (const code of cell.split(', ')) codes.push(toCode(code));
  }
  return sorted([...new Set(codes)].filter((code) => code !== 0));
}

/**
 * Each errcode of an "errcode | Meaning | Reference advice | wxq's action" table, with the action
 * its last column names first.
 */
function actionsOfTable(text: string): { code: number; action: string | undefined }[] {
  const table = text.slice(text.indexOf("| errcode | Meaning | Reference advice | wxq's action |"));
  const rows: { code: number; action: string | undefined }[] = [];
  for (const line of table.split('\n')) {
    const cells = line.split('|').map((cell) => cell.trim());
    const codes = cells[1] ?? '';
    if (!CODES_CELL.test(codes) || codes === '0') continue;
    const action = /^`([a-z_]+)`/.exec(cells.at(-2) ?? '')?.[1];
    for (const code of codes.split(', ')) rows.push({ code: toCode(code), action });
  }
  return rows;
}

describe('the send policy', () => {
  it('has exactly one row for every errcode in the tables of docs/wechat-protocol.md §6 and §7', () => {
    const documented = errcodesInTheDocsTables();
    expect(documented.length).toBeGreaterThan(30);
    expect(sorted(Object.keys(SEND_POLICY).map(Number))).toStrictEqual(documented);
  });

  it("does what §7.5's table says wxq does to a customer-service send: the action its last column names first", () => {
    const rows = actionsOfTable(section(readDoc(), '### 7.5', '## 8.'));
    for (const { code, action } of rows)
      expect((SEND_POLICY as Record<number, SendRow | undefined>)[code]?.action, String(code)).toBe(action);
    // Every errcode is in §7.5's table but the notification-only ones, which §11.2 and §12.2 hold.
    const notificationOnly = Object.entries(SEND_POLICY as Record<number, SendRow>)
      .filter(([, row]) => !row.sends.includes('custom') && !row.sends.includes('typing'))
      .map(([code]) => Number(code));
    expect(sorted([...rows.map(({ code }) => code), ...notificationOnly])).toStrictEqual(
      sorted(Object.keys(SEND_POLICY).map(Number)),
    );
  });

  it.each([
    { kind: 'template', from: '### 11.2', to: '### 11.3' },
    { kind: 'subscribe', from: '### 12.2', to: '## Appendix A.' },
  ] as const)("does what $from's table says wxq does to a $kind send", ({ kind, from, to }) => {
    const rows = actionsOfTable(section(readDoc(), from, to));
    expect(rows.length).toBeGreaterThan(8);
    for (const { code, action } of rows) expect(ruleFor(code, kind)?.action, `${kind} ${code}`).toBe(action);
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
    const rows: readonly SendRow[] = Object.values(SEND_POLICY);
    for (const row of rows) {
      for (const rule of row.also === undefined ? [row] : [row, row.also]) {
        expect(rule.ref).toMatch(/^§\d/);
        expect(rule.why.length).toBeGreaterThan(5);
        expect(rule.sends.length).toBeGreaterThan(0);
      }
      // A kind of send has at most one rule per errcode.
      for (const kind of row.also?.sends ?? []) expect(row.sends).not.toContain(kind);
    }
  });

  it('each action carries exactly the fields it needs', () => {
    const rules = (Object.values(SEND_POLICY) as readonly SendRow[]).flatMap((row): SendRule[] =>
      row.also === undefined ? [row] : [row, row.also],
    );
    for (const rule of rules) {
      expect(rule.pause !== undefined, rule.why).toBe(rule.action === 'pause_account');
      expect(rule.scope !== undefined, rule.why).toBe(rule.action === 'pause_account');
      expect(rule.retryAfterSeconds !== undefined, rule.why).toBe(rule.action === 'retry_later');
      expect(rule.refusal !== undefined, rule.why).toBe(rule.action === 'clear_consent');
    }
  });

  it('pauses the account for the day on 45009 and for the minute on 45011; typing codes only for typing', () => {
    expect(SEND_POLICY[45009].pause).toBe('day');
    expect(SEND_POLICY[45011].pause).toBe('minute');
    for (const code of [45072, 45080, 45081] as const) expect(SEND_POLICY[code].sends).toStrictEqual(['typing']);
    expect(SEND_POLICY[45015].sends).toContain('custom');
  });

  it('a notification 45009 pauses only the notifications; a customer-service one the whole account', () => {
    for (const kind of ['custom', 'typing'] as const)
      expect(ruleFor(45009, kind)).toMatchObject({ action: 'pause_account', pause: 'day', scope: 'account' });
    for (const kind of ['template', 'subscribe'] as const) {
      expect(ruleFor(45009, kind)).toMatchObject({ action: 'pause_account', pause: 'day', scope: 'notifications' });
      expect(ruleFor(45011, kind)).toMatchObject({ pause: 'minute', scope: 'notifications' });
    }
  });

  it('43004 closes a customer-service window but only refuses a notification recipient', () => {
    expect(ruleFor(43004, 'custom')?.action).toBe('close_window');
    expect(ruleFor(43004, 'template')?.action).toBe('refuse');
    expect(ruleFor(43004, 'subscribe')?.action).toBe('refuse');
  });

  it('the notification rows (docs/wechat-protocol.md §11.2, §12.2)', () => {
    expect(ruleFor(40037, 'template')?.action).toBe('stop_batch');
    expect(ruleFor(40037, 'subscribe')?.action).toBe('stop_batch');
    expect(ruleFor(43116, 'template')?.action).toBe('stop_batch');
    expect(ruleFor(43117, 'template')).toMatchObject({
      action: 'retry_later',
      retryAfterSeconds: TOO_OFTEN_RETRY_AFTER_SECONDS,
    });
    expect(TOO_OFTEN_RETRY_AFTER_SECONDS).toBe(900);
    expect(ruleFor(40241, 'template')?.action).toBe('sent');
    expect(ruleFor(43101, 'subscribe')).toMatchObject({ action: 'clear_consent', refusal: 'no_consent' });
    for (const code of [40003, 43019, 47003]) expect(ruleFor(code, 'template')?.action).toBe('refuse');
    for (const code of [-1]) expect(ruleFor(code, 'subscribe')?.action).toBe('retry');
    for (const code of [40001, 40014, 42001]) expect(ruleFor(code, 'template')?.action).toBe('refresh_token');
  });

  it('rows about customer service only have no rule for notifications, and the other way round', () => {
    for (const code of [45015, 45047, 48001, 40007, 45080]) {
      expect(ruleFor(code, 'template'), String(code)).toBeUndefined();
      expect(ruleFor(code, 'subscribe'), String(code)).toBeUndefined();
    }
    for (const code of [40037, 43116, 43117, 40241, 43101, 47003]) {
      for (const kind of ['custom', 'typing'] as const) expect(ruleFor(code, kind), String(code)).toBeUndefined();
    }
    expect(ruleFor(43101, 'template')).toBeUndefined();
    expect(ruleFor(99999, 'template')).toBeUndefined();
    for (const kind of KINDS) expect(ruleFor(-1, kind)?.action).toBe('retry');
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
