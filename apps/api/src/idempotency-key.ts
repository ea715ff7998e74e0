import { ApiError } from './errors.js';
import { IDEMPOTENCY_KEY } from './openapi.js';

/** The Idempotency-Key header, checked: absent, or 1 to 256 printable ASCII characters. */
export function idempotencyKeyOf(header: string | string[] | undefined): string | undefined {
  if (header === undefined) return undefined;
  if (typeof header !== 'string' || !IDEMPOTENCY_KEY.test(header))
    throw new ApiError('invalid_idempotency_key', 'Idempotency-Key: expected 1 to 256 printable ASCII characters');
  return header;
}
