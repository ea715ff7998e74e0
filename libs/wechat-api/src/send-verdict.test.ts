import { describe, expect, it } from 'vitest';
import { TokenStoreError, WechatErrcodeError, WechatTransportError } from './errors.js';
import { isRefused, judgeSend } from './send-verdict.js';
import { STABLE_TOKEN_PATH, TOKEN_PATH } from './token-endpoints.js';

const SEND = '/cgi-bin/message/custom/send';
const TEMPLATE_SEND = '/cgi-bin/message/template/send';
const SUBSCRIBE_SEND = '/cgi-bin/message/subscribe/bizsend';
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

describe('judgeSend: the customer-service verdicts stay what they were', () => {
  // Pinned verdicts of the customer-service kinds, as before the notification kinds came; the one
  // addition is a pause's scope, `account`, which the worker's one pause per account already is.
  it.each([
    { kind: 'custom', errcode: 45009, verdict: { action: 'pause_account', pause: 'day', scope: 'account' } },
    { kind: 'typing', errcode: 45011, verdict: { action: 'pause_account', pause: 'minute', scope: 'account' } },
    { kind: 'custom', errcode: 43004, verdict: { action: 'close_window', pause: undefined } },
    { kind: 'custom', errcode: 45015, verdict: { action: 'close_window', pause: undefined } },
    { kind: 'custom', errcode: 45047, verdict: { action: 'exhaust_window', pause: undefined } },
    { kind: 'custom', errcode: 40003, verdict: { action: 'refuse', pause: undefined } },
    { kind: 'custom', errcode: -1, verdict: { action: 'retry', pause: undefined } },
    { kind: 'custom', errcode: 40001, verdict: { action: 'refresh_token', pause: undefined } },
    { kind: 'typing', errcode: 45080, verdict: { action: 'refuse', pause: undefined } },
    // Notification errcodes answered to a customer-service send: unknown there, refused.
    { kind: 'custom', errcode: 43117, verdict: { action: 'refuse' } },
    { kind: 'custom', errcode: 40241, verdict: { action: 'refuse' } },
    { kind: 'custom', errcode: 43101, verdict: { action: 'refuse' } },
    { kind: 'custom', errcode: 40037, verdict: { action: 'refuse' } },
  ] as const)('$kind, errcode $errcode: $verdict.action', ({ kind, errcode, verdict }) => {
    expect(judgeSend(kind, answered(errcode))).toStrictEqual({
      ...verdict,
      result: String(errcode),
      answered: true,
      reason: `errcode ${errcode}: msg ${errcode} rid: 1`,
    });
  });
});

describe('judgeSend: template and subscribe sends (docs/wechat-protocol.md §11.2, §12.2)', () => {
  const template = (errcode: number) => judgeSend('template', answered(errcode, TEMPLATE_SEND));
  const subscribe = (errcode: number) => judgeSend('subscribe', answered(errcode, SUBSCRIBE_SEND));

  it('a send that resolved is sent', () => {
    expect(judgeSend('template')).toStrictEqual({ action: 'sent', result: 'ok', answered: true });
    expect(judgeSend('subscribe')).toStrictEqual({ action: 'sent', result: 'ok', answered: true });
  });

  it('-1 and HTTP 5xx are retried with backoff; a token errcode was refreshed, then retried', () => {
    expect(template(-1)).toMatchObject({ action: 'retry', answered: true });
    expect(subscribe(-1).action).toBe('retry');
    const busy = new WechatTransportError('http_status', TEMPLATE_SEND, '503', { httpStatus: 503 });
    expect(judgeSend('template', busy)).toMatchObject({ action: 'retry', result: 'transport', answered: false });
    expect(template(40001).action).toBe('refresh_token');
    expect(subscribe(42001).action).toBe('refresh_token');
  });

  it('45009 pauses the notifications of the account for the day, not its replies', () => {
    for (const verdict of [template(45009), subscribe(45009)]) {
      expect(verdict).toMatchObject({ action: 'pause_account', pause: 'day', scope: 'notifications' });
      expect(isRefused(verdict)).toBe(false);
    }
    expect(template(45011)).toMatchObject({ action: 'pause_account', pause: 'minute', scope: 'notifications' });
  });

  it('40037 and 43116 stop the campaign, with the errcode as the reason', () => {
    for (const verdict of [template(40037), template(43116), subscribe(40037)]) {
      expect(verdict.action).toBe('stop_batch');
      expect(verdict.reason).toMatch(/^errcode 4\d{4}: msg 4\d{4} rid: 1$/);
      expect(isRefused(verdict)).toBe(true);
    }
  });

  it.each([40003, 43004, 43019, 47003])('%s refuses that recipient (43004 closes no window)', (errcode) => {
    const verdict = template(errcode);
    expect(verdict).toStrictEqual({
      action: 'refuse',
      result: String(errcode),
      answered: true,
      pause: undefined,
      reason: `errcode ${errcode}: msg ${errcode} rid: 1`,
    });
    expect(subscribe(errcode === 43019 ? 40003 : errcode).action).toBe('refuse');
  });

  it('43117 tries that recipient again later, after longer than backoff', () => {
    const verdict = template(43117);
    expect(verdict).toMatchObject({ action: 'retry_later', retryAfterSeconds: 900, answered: true });
    expect(isRefused(verdict)).toBe(false);
  });

  it('40241 (a duplicate WeChat delivered) is sent, labelled with its errcode', () => {
    expect(template(40241)).toMatchObject({ action: 'sent', result: '40241', answered: true });
    expect(isRefused(template(40241))).toBe(false);
  });

  it('43101 refuses with no_consent and clears the consent credit', () => {
    const verdict = subscribe(43101);
    expect(verdict).toMatchObject({ action: 'clear_consent', refusal: 'no_consent', result: '43101' });
    expect(verdict.reason).toBe('no_consent: errcode 43101: msg 43101 rid: 1');
    expect(isRefused(verdict)).toBe(true);
    // To a template, 43101 is no rule of the policy: refused as unknown.
    expect(template(43101)).toMatchObject({ action: 'refuse', reason: 'errcode 43101: msg 43101 rid: 1' });
  });

  it('customer-service rows do not apply to notifications: 45015 and 45047 are refused, no ledger change', () => {
    expect(template(45015).action).toBe('refuse');
    expect(subscribe(45047).action).toBe('refuse');
    expect(template(99999).action).toBe('refuse');
  });
});
