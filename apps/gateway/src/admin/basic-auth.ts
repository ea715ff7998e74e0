import { createHash, timingSafeEqual } from 'node:crypto';
import type { Logger } from '@wxq/logging';
import type { RequestHandler } from 'express';
import type { LoginLockout } from './login-lockout.js';

export interface BasicAuthOptions {
  readonly user: string;
  readonly password: string;
  readonly realm: string;
  /** Repeated failed logins from one address lock it out (429). */
  readonly lockout: LoginLockout;
  readonly log: Logger;
}

/**
 * HTTP Basic auth with a constant-time comparison (digests, so lengths never leak). A request that
 * brings wrong credentials counts against its client address (`req.ip`, as TRUST_PROXY says); one
 * without any is the browser asking for the login prompt, and does not. A locked-out address gets
 * 429 with Retry-After before its credentials are looked at; 503 while Redis cannot tell.
 */
export function createBasicAuth(options: BasicAuthOptions): RequestHandler {
  if (options.password === '') throw new Error('basic auth needs a password');
  const expected = digest(`${options.user}:${options.password}`);
  const challenge = `Basic realm="${options.realm}", charset="UTF-8"`;
  const { lockout, log } = options;
  return async function basicAuth(req, res, next) {
    const address = req.ip ?? req.socket.remoteAddress ?? 'unknown';
    try {
      const lockedFor = await lockout.lockedForSeconds(address);
      if (lockedFor > 0) {
        res.setHeader('Retry-After', String(lockedFor));
        res.status(429).type('text/plain').send('too many failed logins: try again later');
        return;
      }
      const header = req.headers.authorization;
      const [scheme, encoded] = (header ?? '').split(' ', 2);
      const given =
        scheme?.toLowerCase() === 'basic' && encoded !== undefined
          ? Buffer.from(encoded, 'base64').toString('utf8')
          : '';
      if (timingSafeEqual(digest(given), expected)) {
        next();
        return;
      }
      if (header !== undefined && (await lockout.recordFailure(address))) {
        log.warn({ ip: address }, 'admin: too many failed logins from this address, locked out');
      }
      res.setHeader('WWW-Authenticate', challenge);
      res.status(401).type('text/plain').send('unauthorized');
    } catch (err) {
      log.warn({ err }, 'admin: login check failed (redis)');
      res.status(503).type('text/plain').send('unavailable');
    }
  };
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
