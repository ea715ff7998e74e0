import { describe, expect, expectTypeOf, it } from 'vitest';
import { ERRCODES, type ErrorKind, UNKNOWN_ERRCODE_KIND, classifyErrcode, isKnownErrcode } from './errcodes.js';

// The lists as the brief and docs/wechat-protocol.md §6.3, §7.3, §7.5 give them, written out
// again here so the table is checked against the reference rather than against itself.
const DOCUMENTED: Record<ErrorKind, readonly number[]> = {
  retryable: [-1, 45011],
  token_invalid: [40001, 40014, 42001],
  permanent: [
    45015, 45047, 40003, 43004, 48001, 48002, 43019, 40007, 40008, 45002, 45008, 44002, 44004, 47001, 40033, 40200,
    61451, 61452, 41001, 45009, 40013, 40125, 40164, 40002, 45072, 45080, 45081,
  ],
};

describe('the errcode table', () => {
  it.each(Object.entries(DOCUMENTED).flatMap(([kind, codes]) => codes.map((errcode) => ({ errcode, kind }))))(
    '$errcode is $kind',
    ({ errcode, kind }) => {
      expect(isKnownErrcode(errcode)).toBe(true);
      expect(classifyErrcode(errcode)).toBe(kind);
    },
  );

  it('holds exactly the documented codes, each citing a section of the reference', () => {
    const documented = Object.values(DOCUMENTED)
      .flat()
      .sort((a, b) => a - b);
    const tabled = Object.keys(ERRCODES)
      .map(Number)
      .sort((a, b) => a - b);
    expect(tabled).toStrictEqual(documented);
    for (const entry of Object.values(ERRCODES)) expect(entry.ref).toMatch(/^§\d/);
  });

  it('treats unknown errcodes as permanent, so a bug never hammers WeChat', () => {
    expect(UNKNOWN_ERRCODE_KIND).toBe('permanent');
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

  it('keeps literal kinds (satisfies, not a widening annotation)', () => {
    expectTypeOf(ERRCODES[45015].kind).toEqualTypeOf<'permanent'>();
    expectTypeOf(ERRCODES[40001].kind).toEqualTypeOf<'token_invalid'>();
    expectTypeOf(ERRCODES[-1].kind).toEqualTypeOf<'retryable'>();
  });
});
