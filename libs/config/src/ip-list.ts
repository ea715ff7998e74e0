import { BlockList, isIPv4 } from 'node:net';

/**
 * Addresses and CIDRs, as WECHAT_IP_ALLOWLIST and getcallbackip list them (docs/wechat-protocol.md
 * §5.5), as one `BlockList`. Throws on an entry that is neither (loadGatewayConfig has refused those).
 */
export function compileIpList(entries: readonly string[]): BlockList {
  const list = new BlockList();
  for (const entry of entries) {
    const [address = '', bits] = entry.split('/');
    const family = isIPv4(address) ? 'ipv4' : 'ipv6';
    if (bits === undefined) list.addAddress(address, family);
    else list.addSubnet(address, Number(bits), family);
  }
  return list;
}
