import { describe, expect, it } from 'vitest';
import { createKeys } from './keys.js';

describe('createKeys', () => {
  it('names every key under the prefix, so deployments sharing a Redis share nothing', () => {
    const a = createKeys('{wxq}');
    const b = createKeys('{test-1}');
    const names = (k: typeof a) => [
      k.accessToken('wx1'),
      k.tokenLock('wx1'),
      k.sendRate('wx1', 1700000000),
      k.userRate('wx1', 'o1', 5),
      k.handler('session', 'o1'),
      k.lane('inbound', 'wx1', 'o1'),
      k.quota('wx1', 'o1'),
      k.sendPause('wx1'),
      k.sendCounters('wx1'),
      k.passive('in-1'),
      k.outbox('wx1', 'o1'),
      k.passiveChannel,
      k.callbackIps('wx1'),
      k.callbackIpsLock('wx1'),
      k.repliesSent('in-1'),
      k.adminLoginFailures('198.51.100.7'),
      k.notification('ntf_1'),
      k.notificationByMsgid('wx1', '1'),
      k.notificationLast('wx1', 'o1', 'T1'),
      k.idempotency('wx1', 'ab'),
      k.consent('wx1', 'o1'),
      k.consentApplied('in-1'),
      k.notificationPause('wx1'),
      k.notificationRate('wx1', 1700000000),
      k.campaign('cmp_1'),
      k.campaignRecipients('cmp_1'),
      k.campaigns,
      k.campaignFeedLock('cmp_1'),
    ];
    for (const name of names(a)) expect(name.startsWith('{wxq}:')).toBe(true);
    for (const name of names(b)) expect(name.startsWith('{test-1}:')).toBe(true);
    expect(new Set(names(a)).size).toBe(28);
  });

  it('keeps the token key format that running workers share', () => {
    const keys = createKeys('{wxq}');
    expect(keys.accessToken('wx0123456789abcdef')).toBe('{wxq}:{wx0123456789abcdef}:access_token');
    expect(keys.tokenLock('wx0123456789abcdef')).toBe('{wxq}:{wx0123456789abcdef}:token_lock');
  });

  it('keeps the callback IP keys every gateway shares', () => {
    const keys = createKeys('{wxq}');
    expect(keys.callbackIps('wx0123456789abcdef')).toBe('{wxq}:{wx0123456789abcdef}:callback_ips');
    expect(keys.callbackIpsLock('wx0123456789abcdef')).toBe('{wxq}:{wx0123456789abcdef}:callback_ips_lock');
  });

  it('joins handler key parts with colons', () => {
    expect(createKeys('{p}').handler('session', 'oUser')).toBe('{p}:handler:session:oUser');
  });
});
