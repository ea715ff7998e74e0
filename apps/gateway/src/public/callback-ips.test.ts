import { describe, expect, it } from 'vitest';
import { checkCallbackIpList } from './callback-ips.js';

describe('checkCallbackIpList', () => {
  it('accepts addresses and CIDR ranges of both families, as getcallbackip answers them', () => {
    expect(checkCallbackIpList(['106.55.206.146', '101.226.103.0/25', '2001:db8::/32', '::1', '0.0.0.0/0'])).toEqual({
      ok: true,
    });
  });

  it.each([
    ['an empty list', [], /empty/],
    ['a host name', ['api.weixin.qq.com'], /1 entries/],
    ['an octet out of range', ['300.1.1.1'], /1 entries/],
    ['an IPv4 prefix over 32', ['203.0.113.0/33'], /1 entries/],
    ['an IPv6 prefix over 128', ['2001:db8::/129'], /1 entries/],
    ['a negative prefix', ['203.0.113.0/-1'], /1 entries/],
    ['two prefixes', ['203.0.113.0/24/8'], /1 entries/],
    ['an empty prefix', ['203.0.113.0/'], /1 entries/],
    ['not strings', [42, null, { ip: '1.2.3.4' }], /3 entries/],
    ['markup', ['<script>alert(1)</script>'], /1 entries/],
    ['a huge entry', [`1.2.3.4/${'9'.repeat(100_000)}`], /1 entries/],
    ['an oversized list', Array.from({ length: 10_001 }, () => '1.2.3.4'), /more than 10000/],
  ])('refuses %s, saying why', (_case, list: unknown[], problem) => {
    const result = checkCallbackIpList(list);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problem).toMatch(problem);
  });
});
