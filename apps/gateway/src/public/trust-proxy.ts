import type { IncomingMessage } from 'node:http';
import proxyAddr from 'proxy-addr';

/** The client as seen through TRUST_PROXY: who sent the request, and over which protocol. */
export interface TrustProxy {
  /**
   * The socket's peer, or the X-Forwarded-For entry that the trusted proxies vouch for: walking the
   * chain from the socket towards the client, the first address not trusted (Express's `req.ip`).
   */
  clientIp(req: IncomingMessage): string | undefined;
  /** `http` (the listener is plain node:http), or X-Forwarded-Proto's first value when the peer is trusted. */
  protocol(req: IncomingMessage): string;
}

type Trust = (address: string, hop: number) => boolean;

const UNTRUSTED: TrustProxy = {
  // No X-Forwarded-For parsing at all: with nothing trusted the answer is always the socket.
  clientIp: (req) => req.socket.remoteAddress,
  protocol: () => 'http',
};

/**
 * Compiles TRUST_PROXY once, with Express's `trust proxy` semantics: `true` trusts every hop,
 * `false` (or `0`) none, a number that many hops from the socket, a string the comma-separated
 * addresses, CIDRs and proxy-addr names (`loopback`, `linklocal`, `uniquelocal`).
 * @throws TypeError from proxy-addr for an address or subnet it cannot parse
 */
export function compileTrustProxy(setting: boolean | number | string): TrustProxy {
  const trust = compileTrust(setting);
  if (trust === undefined) return UNTRUSTED;
  return {
    clientIp: (req) => proxyAddr(req, trust),
    protocol: (req) => {
      const peer = req.socket.remoteAddress;
      const header = req.headers['x-forwarded-proto'];
      if (peer === undefined || typeof header !== 'string' || header === '' || !trust(peer, 0)) return 'http';
      const comma = header.indexOf(',');
      return (comma === -1 ? header : header.slice(0, comma)).trim();
    },
  };
}

function compileTrust(setting: boolean | number | string): Trust | undefined {
  if (setting === false || setting === 0) return undefined;
  if (setting === true) return () => true;
  if (typeof setting === 'number') return (_address, hop) => hop < setting;
  return proxyAddr.compile(setting.split(',').map((entry) => entry.trim()));
}
