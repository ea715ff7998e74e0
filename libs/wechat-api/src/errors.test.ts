import { describe, expect, it } from 'vitest';
import { TokenStoreError, WechatApiError, WechatErrcodeError, WechatTransportError } from './errors.js';

describe('WechatErrcodeError', () => {
  it('carries errcode, errmsg, the API path and the kind from the table', () => {
    const error = new WechatErrcodeError(
      '/cgi-bin/message/custom/send',
      45015,
      'response out of time limit rid: 5f3ded7d-22929d02',
    );
    expect(error).toBeInstanceOf(WechatApiError);
    expect(error).toMatchObject({
      name: 'WechatErrcodeError',
      code: 'errcode',
      errcode: 45015,
      errmsg: 'response out of time limit rid: 5f3ded7d-22929d02',
      api: '/cgi-bin/message/custom/send',
      kind: 'permanent',
      isRetryable: false,
    });
    expect(error.message).toBe(
      '/cgi-bin/message/custom/send: errcode 45015 (permanent): response out of time limit rid: 5f3ded7d-22929d02',
    );
  });

  it('classifies by errcode, whatever the errmsg says', () => {
    expect(new WechatErrcodeError('/x', -1, 'access_token expired').kind).toBe('retryable');
    expect(new WechatErrcodeError('/x', 42001, 'system busy').kind).toBe('token_invalid');
  });
});

describe('WechatTransportError', () => {
  it.each([
    { code: 'timeout', httpStatus: undefined, kind: 'retryable' },
    { code: 'network', httpStatus: undefined, kind: 'retryable' },
    { code: 'http_status', httpStatus: 502, kind: 'retryable' },
    { code: 'http_status', httpStatus: 503, kind: 'retryable' },
    { code: 'http_status', httpStatus: 429, kind: 'retryable' },
    { code: 'http_status', httpStatus: 404, kind: 'permanent' },
    { code: 'bad_response', httpStatus: undefined, kind: 'permanent' },
  ] as const)('$code $httpStatus is $kind', ({ code, httpStatus, kind }) => {
    const error = new WechatTransportError(code, '/cgi-bin/getcallbackip', 'detail', { httpStatus });
    expect(error).toBeInstanceOf(WechatApiError);
    expect(error).toMatchObject({
      name: 'WechatTransportError',
      code,
      kind,
      httpStatus,
      errcode: undefined,
      api: '/cgi-bin/getcallbackip',
    });
  });

  it('keeps its cause', () => {
    const cause = new Error('socket hang up');
    expect(new WechatTransportError('network', '/p', 'fetch failed', { cause }).cause).toBe(cause);
  });
});

describe('TokenStoreError', () => {
  it.each([
    { code: 'token_absent', kind: 'retryable' },
    { code: 'token_wait_timeout', kind: 'retryable' },
    { code: 'token_fetch_failed', kind: 'permanent' },
    { code: 'bad_token', kind: 'permanent' },
  ] as const)('$code is $kind', ({ code, kind }) => {
    expect(new TokenStoreError(code, 'm')).toMatchObject({ name: 'TokenStoreError', code, kind, api: 'token-store' });
  });
});
