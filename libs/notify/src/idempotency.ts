import { createHash } from 'node:crypto';
import type { RedisClient } from '@wxq/redis';

// Idempotency-Keys (docs/notifications.md): a key names what one request made, so a client
// repeating the request after a timeout gets the same thing back and nothing is queued twice.

/** How long an Idempotency-Key is remembered: a client retrying a day later makes something new. */
const IDEMPOTENCY_TTL_MS = 24 * 3600 * 1000;

/** Why a request was not queued, as the API maps it to a status. */
export class NotifyRequestError extends Error {
  override name = 'NotifyRequestError' as const;
  constructor(
    readonly code: 'unknown_account' | 'idempotency_conflict' | 'not_found' | 'conflict',
    message: string,
  ) {
    super(message);
  }
}

/**
 * Remembers the key (`key`, its Redis key) with the request's digest and the id of what it made;
 * the same key with another request is a conflict. The digest covers the request as parsed, so key
 * order and spacing in the JSON do not matter.
 * @throws NotifyRequestError `idempotency_conflict`
 */
export async function claimIdempotencyKey(
  redis: RedisClient,
  key: string,
  request: unknown,
  id: string,
): Promise<void> {
  const claim = `${digest(canonical(request))} ${id}`;
  const set = await redis.set(key, claim, 'PX', IDEMPOTENCY_TTL_MS, 'NX');
  if (set === 'OK') return;
  const held = await redis.get(key);
  // Expired between the two calls: the key is free again, and this request takes it.
  if (held === null) return claimIdempotencyKey(redis, key, request, id);
  if (held !== claim)
    throw new NotifyRequestError('idempotency_conflict', 'this Idempotency-Key was used with another request');
}

export function digest(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** JSON with every object's keys sorted. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object')
    return `{${Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`)
      .join(',')}}`;
  return JSON.stringify(value);
}
