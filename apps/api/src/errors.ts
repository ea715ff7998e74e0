import type { z } from 'zod';

/** Every error the API answers, and its status: the codes are a contract with callers, never renamed. */
export const ERROR_STATUS = {
  invalid_json: 400,
  invalid_request: 400,
  invalid_idempotency_key: 400,
  unauthorized: 401,
  not_found: 404,
  unknown_account: 404,
  method_not_allowed: 405,
  idempotency_conflict: 409,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  internal: 500,
  unavailable: 503,
} as const satisfies Record<string, number>;

export type ApiErrorCode = keyof typeof ERROR_STATUS;

/** An answer other than success: the one error handler turns it into `{"error": {"code", "message"}}`. */
export class ApiError extends Error {
  override name = 'ApiError' as const;
  readonly status: number;
  constructor(
    readonly code: ApiErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.status = ERROR_STATUS[code];
  }
}

/** The longest path segment echoed back: a hostile key is cut, not reflected whole. */
const MAX_SEGMENT_CHARS = 64;
const PLAIN_SEGMENT = /^[A-Za-z0-9_]+$/;

/**
 * The first schema problem as `template.data.thing1.value: <what was expected>`, the field named
 * from the issue path (keys that are not plain names quoted as JSON, cut to 64 characters), so
 * the message stays one short printable line whatever the request held.
 */
export function describeIssue(error: z.ZodError): string {
  const [issue] = error.issues;
  if (issue === undefined) return 'invalid request';
  // A record key's own problem (`letters, digits and _`) says more than "Invalid key in record".
  const message = issue.code === 'invalid_key' ? (issue.issues[0]?.message ?? issue.message) : issue.message;
  return `${pathOf(issue.path)}: ${message}`;
}

function pathOf(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(body)';
  return path
    .map((segment, index) => {
      if (typeof segment === 'number') return `[${segment}]`;
      const text = String(segment);
      const name = PLAIN_SEGMENT.test(text) && text.length <= MAX_SEGMENT_CHARS ? text : quoted(text);
      return index === 0 ? name : `.${name}`;
    })
    .join('');
}

function quoted(text: string): string {
  const cut = text.length > MAX_SEGMENT_CHARS ? `${text.slice(0, MAX_SEGMENT_CHARS)}…` : text;
  // JSON escapes control characters; the rest of the non-ASCII range is escaped too, for one plain line.
  return JSON.stringify(cut).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
