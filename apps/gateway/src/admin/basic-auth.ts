import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';

export interface BasicAuthOptions {
  readonly user: string;
  readonly password: string;
  readonly realm: string;
}

/** HTTP Basic auth with a constant-time comparison (digests, so lengths never leak). */
export function createBasicAuth(options: BasicAuthOptions): RequestHandler {
  if (options.password === '') throw new Error('basic auth needs a password');
  const expected = digest(`${options.user}:${options.password}`);
  const challenge = `Basic realm="${options.realm}", charset="UTF-8"`;
  return function basicAuth(req, res, next) {
    const header = req.headers.authorization ?? '';
    const [scheme, encoded] = header.split(' ', 2);
    const given =
      scheme?.toLowerCase() === 'basic' && encoded !== undefined ? Buffer.from(encoded, 'base64').toString('utf8') : '';
    if (timingSafeEqual(digest(given), expected)) {
      next();
      return;
    }
    res.setHeader('WWW-Authenticate', challenge);
    res.status(401).type('text/plain').send('unauthorized');
  };
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
