import { describe, expect, it } from 'vitest';
import { describeError, fail, formatResult, ok, warn } from './check.js';

describe('formatResult', () => {
  it('marks each status and appends the fix', () => {
    expect(formatResult(ok('Redis reachable'))).toBe('✔ Redis reachable');
    expect(formatResult(warn('AOF off', 'appendonly yes'))).toBe('⚠ AOF off — fix: appendonly yes');
    expect(formatResult(fail('no token', 'set WECHAT_APPSECRET'))).toBe('✖ no token — fix: set WECHAT_APPSECRET');
  });
});

describe('describeError', () => {
  it("prefers a socket code from the cause chain (fetch's TypeError wraps it)", () => {
    const socket = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    expect(describeError(new TypeError('fetch failed', { cause: socket }))).toBe('ECONNREFUSED');
  });

  it('else says the innermost message, and copes with things that are not errors', () => {
    expect(describeError(new TypeError('fetch failed', { cause: new Error('bad port') }))).toBe('bad port');
    expect(describeError('plain text')).toBe('plain text');
    expect(describeError(Object.assign(new Error('lower-case code'), { code: 'not a code' }))).toBe('lower-case code');
  });
});
