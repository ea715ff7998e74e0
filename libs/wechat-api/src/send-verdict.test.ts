import { describe, expect, it } from 'vitest';
import { TokenStoreError, WechatErrcodeError, WechatTransportError } from './errors.js';
import { isRefused, judgeSend } from './send-verdict.js';
import { STABLE_TOKEN_PATH, TOKEN_PATH } from './token-endpoints.js';

const SEND = '/cgi-bin/message/custom/send';
const answered = (errcode: number, api = SEND) => new WechatErrcodeError(api, errcode, `msg ${errcode} rid: 1`);

describe('judgeSend', () => {
  it('a send that resolved is sent, counted ok', () => {
    expect(judgeSend('custom')).toStrictEqual({ action: 'sent', result: 'ok', answered: true });
    expect(isRefused(judgeSend('typing'))).toBe(false);
  });

  it.each([
    { errcode: -1, action: 'retry', refused: false },
    { errcode: 42001, action: 'refresh_token', refused: false },
    { errcode: 45009, action: 'pause_account', refused: false },
    { errcode: 45015, action: 'close_window', refused: true },
    { errcode: 43004, action: 'close_window', refused: true },
    { errcode: 45047, action: 'exhaust_window', refused: true },
    { errcode: 48001, action: 'refuse', refused: true },
  ])('errcode $errcode: $action, labelled with the errcode, with the errcode as the reason', ({ errcode, ...rest }) => {
    const verdict = judgeSend('custom', answered(errcode));
    expect(verdict).toMatchObject({ action: rest.action, result: String(errcode), answered: true });
    expect(verdict.reason).toBe(`errcode ${errcode}: msg ${errcode} rid: 1`);
    expect(isRefused(verdict)).toBe(rest.refused);
  });

  it('a pause says for how long', () => {
    expect(judgeSend('custom', answered(45009)).pause).toBe('day');
    expect(judgeSend('typing', answered(45011)).pause).toBe('minute');
    expect(judgeSend('custom', answered(-1)).pause).toBeUndefined();
  });

  it('a row for another kind of send does not apply: a typing errcode answered to a message is refused as unknown', () => {
    expect(judgeSend('typing', answered(45080)).action).toBe('refuse');
    expect(judgeSend('custom', answered(45080))).toMatchObject({ action: 'refuse', result: '45080', answered: true });
  });

  it('an errcode the policy does not know is refused, never retried', () => {
    expect(judgeSend('custom', answered(99999))).toMatchObject({ action: 'refuse', result: '99999', answered: true });
  });

  it('a token errcode from the token endpoint (a wrong AppSecret) is refused, not refreshed (docs/wechat-protocol.md §6.3)', () => {
    for (const api of [TOKEN_PATH, STABLE_TOKEN_PATH]) {
      expect(
        judgeSend('custom', new WechatErrcodeError(api, 40001, 'invalid credential', 'token_endpoint')).action,
      ).toBe('refuse');
      expect(judgeSend('custom', answered(-1, api)).action).toBe('retry');
      expect(judgeSend('custom', answered(45009, api)).action).toBe('pause_account');
    }
  });

  it('without an answer from WeChat, the message may have gone out: retried (or refused) by the error class', () => {
    const timeout = judgeSend('custom', new WechatTransportError('timeout', SEND, 'after 5000 ms'));
    expect(timeout).toMatchObject({ action: 'retry', result: 'transport', answered: false });
    expect(timeout.reason).toContain('timeout');
    const busy = judgeSend('custom', new WechatTransportError('http_status', SEND, '503', { httpStatus: 503 }));
    expect(busy.action).toBe('retry');
    const bad = judgeSend('custom', new WechatTransportError('bad_response', SEND, 'not JSON'));
    expect(bad).toMatchObject({ action: 'refuse', result: 'transport', answered: false });
    expect(judgeSend('custom', new WechatTransportError('http_status', SEND, '404', { httpStatus: 404 })).action).toBe(
      'refuse',
    );
  });

  it("the token store's failures follow their class", () => {
    expect(judgeSend('custom', new TokenStoreError('token_wait_timeout', 'waited')).action).toBe('retry');
    expect(judgeSend('custom', new TokenStoreError('bad_token', 'empty')).action).toBe('refuse');
  });

  it('a failure outside the API client (a bug, Redis) is tried again, its message the reason', () => {
    expect(judgeSend('custom', new Error('connection lost'))).toStrictEqual({
      action: 'retry',
      result: 'transport',
      answered: false,
      reason: 'connection lost',
    });
    expect(judgeSend('custom', 'a string').reason).toBe('"a string"');
  });
});
