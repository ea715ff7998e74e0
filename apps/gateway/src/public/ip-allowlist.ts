import { isIPv4 } from 'node:net';
import { compileIpList } from '@wxq/config';

/**
 * WECHAT_IP_ALLOWLIST as a predicate; an empty list allows everyone. WeChat publishes its callback
 * ranges through getcallbackip and they change (docs/wechat-protocol.md §5.5), so the list is the operator's.
 */
export function createIpAllowlist(cidrs: readonly string[]): (ip: string | undefined) => boolean {
  if (cidrs.length === 0) return () => true;
  const list = compileIpList(cidrs);
  return (ip) => {
    if (ip === undefined) return false;
    // Dual-stack sockets report IPv4 clients as ::ffff:a.b.c.d.
    const plain = ip.startsWith('::ffff:') && isIPv4(ip.slice(7)) ? ip.slice(7) : ip;
    return list.check(plain, isIPv4(plain) ? 'ipv4' : 'ipv6');
  };
}
