import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { ApiError } from './errors.js';

/**
 * `Authorization: Bearer <token>` (RFC 6750 §2.1) against the configured tokens' SHA-256 digests.
 * The digest of what was given is compared with every configured one in constant time, all of
 * them whatever matched, so neither a token's length nor its place in the list shows in the timing.
 * @throws Error when no digest is configured (the config refuses that first)
 */
export function createBearerAuth(tokenDigests: readonly string[]): RequestHandler {
  if (tokenDigests.length === 0) throw new Error('bearer auth needs at least one token');
  const expected = tokenDigests.map((hex) => Buffer.from(hex, 'hex'));
  return function bearerAuth(req, _res, next) {
    const given = digest(bearerOf(req.headers.authorization));
    let isMatch = false;
    for (const digestOfToken of expected) isMatch = timingSafeEqual(given, digestOfToken) || isMatch;
    next(isMatch ? undefined : new ApiError('unauthorized', 'a valid Authorization: Bearer <token> header is needed'));
  };
}

/** The token of a `Bearer` header (scheme case-insensitive); '' for anything else, which matches no digest. */
function bearerOf(header: string | undefined): string {
  const match = /^Bearer +(\S+) *$/i.exec(header ?? '');
  return match?.[1] ?? '';
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
