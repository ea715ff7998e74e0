import type { ErrcodeContext } from './send-policy.js';
import { WechatErrcodeError, WechatTransportError } from './errors.js';
import { sendOverHttp } from './http-transport.js';

export interface WechatRequest {
  readonly baseUrl: string;
  /** The API path, which is also what errors and logs name. */
  readonly path: string;
  readonly method: 'GET' | 'POST';
  /** Query parameters, access_token and secrets included: they end up in the URL only. */
  readonly query: Readonly<Record<string, string>>;
  readonly body?: { readonly json: unknown } | { readonly form: FormData };
  readonly timeoutMs: number;
  /** Values scrubbed from anything WeChat echoes back into an error (the token, the secret). */
  readonly secrets: readonly string[];
}

export interface RawAnswer {
  readonly status: number;
  readonly contentType: string;
  readonly bytes: Uint8Array;
}

export type JsonRecord = Readonly<Record<string, unknown>>;

const utf8 = new TextDecoder('utf-8', { fatal: false });

/**
 * Sends one request with its own timeout (which covers reading the body) and returns the whole
 * answer. Throws WechatTransportError on timeout, connection failure and non-2xx statuses; the
 * thrown error names the path, never the URL.
 */
export async function sendRequest(request: WechatRequest): Promise<RawAnswer> {
  const { path, method, timeoutMs } = request;
  const url = `${request.baseUrl.replace(/\/+$/, '')}${path}?${new URLSearchParams(request.query).toString()}`;
  try {
    const answer =
      request.body !== undefined && 'form' in request.body
        ? await sendForm(url, request.body.form, timeoutMs)
        : await sendOverHttp({
            url: new URL(url),
            method,
            headers: request.body === undefined ? {} : { 'content-type': 'application/json; charset=utf-8' },
            ...(request.body === undefined ? {} : { body: toWechatJson(request.body.json) }),
            timeoutMs,
          });
    if (answer.status < 200 || answer.status > 299) {
      throw new WechatTransportError('http_status', path, `HTTP ${answer.status}`, { httpStatus: answer.status });
    }
    return answer;
  } catch (error) {
    if (error instanceof WechatTransportError) throw error;
    if (isTimeout(error)) {
      throw new WechatTransportError('timeout', path, `no complete answer within ${timeoutMs} ms`, { cause: error });
    }
    // undici's errors ("fetch failed", "terminated", ECONNRESET) name sockets, not the URL; the
    // cause is dropped anyway should it ever quote a secret (a URL that failed to parse would).
    const cause = mentionsSecret(error, request.secrets) ? undefined : error;
    throw new WechatTransportError('network', path, scrub(describeNetworkError(error), request.secrets), { cause });
  }
}

/**
 * Parses a JSON answer and throws WechatErrcodeError when it carries a non-zero errcode (WeChat answers HTTP
 * 200 for errors, docs/wechat-protocol.md §7.1). Throws WechatTransportError('bad_response') for anything
 * else that is not a JSON object.
 */
export function parseJsonAnswer(
  answer: RawAnswer,
  request: Pick<WechatRequest, 'path' | 'secrets'>,
  context: ErrcodeContext = 'api',
): JsonRecord {
  const record = parseJsonObject(answer.bytes);
  if (record === undefined) {
    throw new WechatTransportError(
      'bad_response',
      request.path,
      `not a JSON object (content-type ${answer.contentType || 'none'})`,
    );
  }
  throwIfErrcode(record, request, context);
  return record;
}

export function throwIfErrcode(
  record: JsonRecord,
  request: Pick<WechatRequest, 'path' | 'secrets'>,
  context: ErrcodeContext,
): void {
  const { errcode, errmsg } = record;
  if (errcode === undefined || errcode === 0) return;
  if (typeof errcode !== 'number' || !Number.isInteger(errcode)) {
    throw new WechatTransportError('bad_response', request.path, 'errcode is not an integer');
  }
  throw new WechatErrcodeError(
    request.path,
    errcode,
    scrub(typeof errmsg === 'string' ? errmsg : '', request.secrets),
    context,
  );
}

export function parseJsonObject(bytes: Uint8Array): JsonRecord | undefined {
  let value: unknown;
  try {
    value = JSON.parse(utf8.decode(bytes));
  } catch {
    return undefined;
  }
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as JsonRecord) : undefined;
}

/** A required non-empty string field of an answer, or WechatTransportError('bad_response'). */
export function requireString(record: JsonRecord, field: string, path: string): string {
  const value = record[field];
  if (typeof value !== 'string' || value === '') {
    throw new WechatTransportError('bad_response', path, `answer has no ${field}`);
  }
  return value;
}

// Lone surrogates: JSON.stringify writes them as \udXXX escapes (and nothing else as a \ud escape:
// a paired surrogate stays a raw character), which some endpoints refuse with 40033 invalid
// charset (docs/wechat-protocol.md §7.1). Such an escape is one preceded by an even number of
// backslashes: after an odd number the backslash is itself escaped, and "\\udc4b" is text.
const LONE_SURROGATE_ESCAPE = /(?<=(?:^|[^\\])(?:\\\\)*)\\ud[89a-f][0-9a-f]{2}/g;

/**
 * JSON as WeChat wants it: real UTF-8 characters, no \uXXXX escapes (docs/wechat-protocol.md
 * §7.1); a lone surrogate becomes U+FFFD, so the body is plain UTF-8. One JSON.stringify without a
 * replacer (a send's body is built per reply), and a scan only when a \ud escape is there at all.
 */
export function toWechatJson(value: unknown): string {
  const json = JSON.stringify(value);
  return json.includes('\\ud') ? json.replace(LONE_SURROGATE_ESCAPE, '\uFFFD') : json;
}

function scrub(text: string, secrets: readonly string[]): string {
  return secrets.reduce((result, secret) => (secret === '' ? result : result.replaceAll(secret, '[redacted]')), text);
}

function mentionsSecret(error: unknown, secrets: readonly string[]): boolean {
  for (
    let current: unknown = error, depth = 0;
    current instanceof Error && depth < 5;
    current = current.cause, depth += 1
  ) {
    const text = `${current.message} ${current.stack ?? ''}`;
    if (secrets.some((secret) => secret !== '' && text.includes(secret))) return true;
  }
  return false;
}

/** Multipart uploads (rare) go through fetch, which builds the form body and its boundary. */
async function sendForm(url: string, form: FormData, timeoutMs: number): Promise<RawAnswer> {
  const response = await fetch(url, {
    method: 'POST',
    body: form,
    signal: AbortSignal.timeout(timeoutMs),
    redirect: 'error',
  });
  const bytes = new Uint8Array(await response.arrayBuffer());
  return { status: response.status, contentType: response.headers.get('content-type') ?? '', bytes };
}

function isTimeout(error: unknown): boolean {
  return error instanceof Error && error.name === 'TimeoutError';
}

function describeNetworkError(error: unknown): string {
  if (!(error instanceof Error)) return 'request failed';
  const cause: unknown = error.cause;
  const code = cause instanceof Error && 'code' in cause && typeof cause.code === 'string' ? cause.code : undefined;
  const causeMessage = cause instanceof Error ? cause.message : undefined;
  return [error.message, code ?? causeMessage].filter((part) => part !== undefined).join(': ');
}
