import type { Verdict } from './custom-message.js';
import { errorBody } from './errcodes.js';
import { type Reply, jsonReply } from './http-io.js';
import type { TokenCheck } from './token-registry.js';

/**
 * JSON endpoints take at most this much; more is 413 (the gateway's own cap is the same size,
 * docs/wechat-protocol.md §10).
 */
export const MAX_JSON_BODY_BYTES = 1024 * 1024;

export type JsonBody =
  { readonly kind: 'empty' } | { readonly kind: 'invalid' } | { readonly kind: 'json'; readonly value: unknown };

/** A request as an endpoint sees it. */
interface EndpointRequest {
  readonly method: string;
  /** The URL path, e.g. `/sim/video/MEDIA_ID` for an endpoint serving `/sim/video/`. */
  readonly path: string;
  readonly query: URLSearchParams;
  /** undefined when the body was over the endpoint's `maxBodyBytes`. */
  readonly body: Buffer | undefined;
  readonly json: JsonBody;
  readonly contentType: string | undefined;
  readonly nowMs: number;
  /** The caller's address as the socket saw it (IPv4 without the `::ffff:` prefix). */
  readonly clientIp: string;
  /** The simulator's own base URL, for links it hands out. */
  readonly baseUrl: string;
}

/** A request that passed the size and method checks of a WeChat API endpoint. */
export interface RouteRequest extends EndpointRequest {
  readonly body: Buffer;
}

export interface Handled {
  readonly reply: Reply;
  /** The account the call was for (from the token or the appid), when known. */
  readonly appId: string | null;
}

export interface Endpoint {
  readonly maxBodyBytes: number;
  handle(request: EndpointRequest): Handled | Promise<Handled>;
}

/**
 * One API family (tokens, customer-service messages, media, callback IPs; next templates, subscribe
 * messages, the open platform's component API): its endpoints and its state, composed by
 * `startWechatApiSimulator`.
 */
export interface Family {
  /** By path; a path ending in `/` serves every path under it. */
  readonly endpoints: Readonly<Record<string, Endpoint>>;
  /** Forgets the family's state (the simulator's `reset`). */
  reset(): void;
}

/** Business endpoints learn the account from `access_token`, or the errcode (docs/wechat-protocol.md §6.3). */
export type CheckToken = (token: string | undefined, nowMs: number) => TokenCheck;

/** WeChat's error answer: HTTP 200 (unless `status`) and the errcode's JSON (docs/wechat-protocol.md §7.1). */
export function fail(errcode: number, appId: string | null = null, status = 200): Handled {
  return { reply: jsonReply(errorBody(errcode), errcode, status), appId };
}

/** A success answer: `value` as JSON, errcode 0 in the call log. */
export function ok(value: unknown, appId: string): Handled {
  return { reply: jsonReply(value, 0), appId };
}

export function notFound(): Handled {
  return fail(40066, null, 404);
}

export function tooLarge(): Handled {
  return fail(45002, null, 413);
}

/**
 * A WeChat API endpoint: a body over `maxBodyBytes` is 413 with 45002, the wrong method 43001
 * (GET wanted) or 43002 (POST wanted), in that order.
 */
export function apiEndpoint(
  method: 'GET' | 'POST',
  handle: (request: RouteRequest) => Handled | Promise<Handled>,
  maxBodyBytes = MAX_JSON_BODY_BYTES,
): Endpoint {
  return {
    maxBodyBytes,
    handle({ body, ...request }) {
      if (body === undefined) return tooLarge();
      if (request.method !== method) return fail(method === 'GET' ? 43001 : 43002);
      return handle({ ...request, body });
    },
  };
}

/**
 * A simulator-only GET endpoint (never a real API path): an oversized body is 413 as anywhere,
 * another method the 404 of an unknown path.
 */
export function simGetEndpoint(handle: (request: RouteRequest) => Handled): Endpoint {
  return {
    maxBodyBytes: MAX_JSON_BODY_BYTES,
    handle({ body, ...request }) {
      if (body === undefined) return tooLarge();
      if (request.method !== 'GET') return notFound();
      return handle({ ...request, body });
    },
  };
}

/** Runs `handle` for the account the request's token names, or answers the token's errcode. */
export function withToken(checkToken: CheckToken, request: RouteRequest, handle: (appId: string) => Handled): Handled {
  const check = checkToken(request.query.get('access_token') ?? undefined, request.nowMs);
  return check.ok ? handle(check.appId) : fail(check.errcode, check.appId);
}

/** The JSON body's value, or the errcode for none (44002) or not JSON (47001). */
export function jsonValue(request: RouteRequest): { readonly value: unknown } | number {
  switch (request.json.kind) {
    case 'empty':
      return 44002;
    case 'invalid':
      return 47001;
    case 'json':
      return { value: request.json.value };
  }
}

/**
 * A POST endpoint taking a token and a JSON body, checked in that order: the token, the body (44002
 * when empty, 47001 when not JSON), then `check`. `apply` acts on a body that passed and returns the
 * errcode to answer, 0 for ok.
 */
export function checkedJsonPost<T>(
  checkToken: CheckToken,
  check: (body: unknown, request: RouteRequest) => Verdict<T>,
  apply: (value: T, appId: string, request: RouteRequest) => number,
): Endpoint {
  return checkedJsonCall(checkToken, check, (value, appId, request) => {
    const errcode = apply(value, appId, request);
    return errcode === 0 ? ok(errorBody(0), appId) : fail(errcode, appId);
  });
}

/** As `checkedJsonPost`, for an endpoint whose answer carries more than the errcode: `apply` answers. */
export function checkedJsonCall<T>(
  checkToken: CheckToken,
  check: (body: unknown, request: RouteRequest, appId: string) => Verdict<T>,
  apply: (value: T, appId: string, request: RouteRequest) => Handled,
): Endpoint {
  return apiEndpoint('POST', (request) =>
    withToken(checkToken, request, (appId) => {
      const parsed = jsonValue(request);
      if (typeof parsed === 'number') return fail(parsed, appId);
      const verdict = check(parsed.value, request, appId);
      return verdict.ok ? apply(verdict.value, appId, request) : fail(verdict.errcode, appId);
    }),
  );
}

/**
 * `{"errcode":0,"errmsg":"ok","msgid":…}` with the msgid as raw JSON digits: it is a 64-bit integer,
 * often above 2^53, that a client must read without losing digits (docs/wechat-protocol.md §11.1).
 */
export function okWithMsgId(msgid: bigint, appId: string): Handled {
  const reply = jsonReply(errorBody(0), 0);
  const body = `${JSON.stringify(errorBody(0)).slice(0, -1)},"msgid":${msgid.toString()}}`;
  return { reply: { ...reply, body }, appId };
}

/** A GET endpoint taking a token: `handle` answers for the token's account. */
export function tokenGet(checkToken: CheckToken, handle: (appId: string, request: RouteRequest) => Handled): Endpoint {
  return apiEndpoint('GET', (request) => withToken(checkToken, request, (appId) => handle(appId, request)));
}

export function parseJson(body: Buffer): JsonBody {
  const text = body.toString('utf8');
  if (text.trim() === '') return { kind: 'empty' };
  try {
    return { kind: 'json', value: JSON.parse(text) as unknown };
  } catch {
    return { kind: 'invalid' };
  }
}

export function isObject(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
