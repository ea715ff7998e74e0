import { IncomingMessage } from 'node:http';
import { Socket } from 'node:net';
import express from 'express';
import proxyAddr from 'proxy-addr';
import { describe, expect, it } from 'vitest';
import { compileTrustProxy } from './trust-proxy.js';

const PROXY = '10.0.0.2';
const CLIENT = '203.0.113.7';
const SPOOFED = '198.51.100.9';

/** A real IncomingMessage from `peer`, with the forwarding headers given. */
function requestFrom(peer: string, headers: { forwardedFor?: string; forwardedProto?: string } = {}): IncomingMessage {
  const socket = new Socket();
  Object.defineProperty(socket, 'remoteAddress', { value: peer });
  const req = new IncomingMessage(socket);
  if (headers.forwardedFor !== undefined) req.headers['x-forwarded-for'] = headers.forwardedFor;
  if (headers.forwardedProto !== undefined) req.headers['x-forwarded-proto'] = headers.forwardedProto;
  return req;
}

describe('compileTrustProxy', () => {
  it.each([false, 0])('%s trusts nobody: the socket address, and http whatever the headers say', (setting) => {
    const trust = compileTrustProxy(setting);
    const req = requestFrom(PROXY, { forwardedFor: CLIENT, forwardedProto: 'https' });
    expect(trust.clientIp(req)).toBe(PROXY);
    expect(trust.protocol(req)).toBe('http');
  });

  it('true trusts every hop: the leftmost X-Forwarded-For entry, whoever wrote it', () => {
    const trust = compileTrustProxy(true);
    expect(trust.clientIp(requestFrom(PROXY, { forwardedFor: `${SPOOFED}, ${CLIENT}` }))).toBe(SPOOFED);
    expect(trust.clientIp(requestFrom(PROXY, { forwardedFor: CLIENT }))).toBe(CLIENT);
    expect(trust.clientIp(requestFrom(PROXY))).toBe(PROXY);
    expect(trust.protocol(requestFrom(PROXY, { forwardedProto: 'https, http' }))).toBe('https');
    expect(trust.protocol(requestFrom(PROXY, { forwardedProto: '' }))).toBe('http');
    expect(trust.protocol(requestFrom(PROXY))).toBe('http');
  });

  it('a hop count trusts that many hops from the socket, and no further', () => {
    const chain = `${SPOOFED}, ${CLIENT}`;
    expect(compileTrustProxy(1).clientIp(requestFrom(PROXY, { forwardedFor: chain }))).toBe(CLIENT);
    expect(compileTrustProxy(2).clientIp(requestFrom(PROXY, { forwardedFor: chain }))).toBe(SPOOFED);
    // More hops than the chain has: the leftmost entry, as with true.
    expect(compileTrustProxy(5).clientIp(requestFrom(PROXY, { forwardedFor: chain }))).toBe(SPOOFED);
    expect(compileTrustProxy(1).clientIp(requestFrom(PROXY))).toBe(PROXY);
    expect(compileTrustProxy(1).protocol(requestFrom(PROXY, { forwardedProto: 'https' }))).toBe('https');
  });

  it('addresses and subnets trust only those peers, walking the chain until an untrusted one', () => {
    const trust = compileTrustProxy('10.0.0.0/8, 192.168.1.1');
    // Both proxies are trusted: the client is the entry before them.
    expect(trust.clientIp(requestFrom(PROXY, { forwardedFor: `${SPOOFED}, ${CLIENT}, 192.168.1.1` }))).toBe(CLIENT);
    // An untrusted hop ends the walk, whatever it claims came before it.
    expect(trust.clientIp(requestFrom(PROXY, { forwardedFor: `${CLIENT}, ${SPOOFED}` }))).toBe(SPOOFED);
    // A peer outside the list is the client itself; its headers count for nothing.
    const direct = requestFrom(CLIENT, { forwardedFor: SPOOFED, forwardedProto: 'https' });
    expect(trust.clientIp(direct)).toBe(CLIENT);
    expect(trust.protocol(direct)).toBe('http');
    expect(trust.protocol(requestFrom(PROXY, { forwardedProto: 'https' }))).toBe('https');
  });

  it('understands the proxy-addr names and IPv4-mapped IPv6 peers', () => {
    const trust = compileTrustProxy('loopback');
    expect(trust.clientIp(requestFrom('127.0.0.1', { forwardedFor: CLIENT }))).toBe(CLIENT);
    expect(trust.clientIp(requestFrom('::1', { forwardedFor: CLIENT }))).toBe(CLIENT);
    expect(trust.clientIp(requestFrom('::ffff:127.0.0.1', { forwardedFor: CLIENT }))).toBe(CLIENT);
    expect(trust.clientIp(requestFrom(PROXY, { forwardedFor: CLIENT }))).toBe(PROXY);
  });

  it('throws on an address proxy-addr cannot read', () => {
    expect(() => compileTrustProxy('10.0.0.0/8, not-an-address')).toThrow(TypeError);
  });

  it.each([false, true, 0, 1, 2, '10.0.0.0/8', 'loopback, 10.0.0.2', '192.168.0.0/16,10.0.0.2'])(
    'picks the same client as Express does for TRUST_PROXY=%s',
    (setting) => {
      const app = express();
      app.set('trust proxy', setting);
      const compiled: unknown = app.get('trust proxy fn');
      if (typeof compiled !== 'function') throw new Error('Express compiled no trust function');
      const expressTrust = compiled as (address: string, hop: number) => boolean;
      const trust = compileTrustProxy(setting);
      for (const peer of [PROXY, '127.0.0.1', CLIENT]) {
        for (const forwardedFor of [
          undefined,
          CLIENT,
          `${SPOOFED}, ${CLIENT}`,
          `${SPOOFED}, ${CLIENT}, 10.9.9.9`,
          `${CLIENT},,${PROXY}`,
        ]) {
          const req = requestFrom(peer, forwardedFor === undefined ? {} : { forwardedFor });
          expect(trust.clientIp(req), `${peer} via ${forwardedFor ?? '-'}`).toBe(proxyAddr(req, expressTrust));
        }
      }
    },
  );
});
