import { type CustomMessage, type Verdict, checkCustomMessage, checkTyping } from './custom-message.js';
import { errorBody, ipNotWhitelistedBody } from './errcodes.js';
import { type Reply, jsonReply } from './http-io.js';
import { MEDIA_MAX_BYTES, type MediaStore, extensionOf, isMediaType } from './media.js';
import { parseMultipart } from './multipart.js';
import type { SendRules } from './send-rules.js';
import type { TokenRegistry } from './tokens.js';

/**
 * JSON endpoints take at most this much; more is 413 (the gateway's own cap is the same size,
 * docs/wechat-protocol.md §10).
 */
export const MAX_JSON_BODY_BYTES = 1024 * 1024;
/** The largest upload (video, 10 MB, docs/wechat-protocol.md §8) plus room for the multipart framing. */
export const MAX_UPLOAD_BODY_BYTES = 10 * 1024 * 1024 + 64 * 1024;
/**
 * AppSecrets are 32 characters (docs/wechat-protocol.md §0.3): anything else is 40125, a well-formed wrong
 * one 40001 (docs/wechat-protocol.md §6.3).
 */
const APP_SECRET_SHAPE = /^[A-Za-z0-9]{32}$/;
/**
 * The path `media/get` points video downloads at (docs/wechat-protocol.md §8: `{"video_url": ...}`);
 * simulator-only.
 */
export const VIDEO_DOWNLOAD_PATH = '/sim/video/';
/** Simulator-only: `GET /sim/sends?after=n` lists accepted sends from index n on. */
export const SENDS_PATH = '/sim/sends';

export type JsonBody =
  { readonly kind: 'empty' } | { readonly kind: 'invalid' } | { readonly kind: 'json'; readonly value: unknown };

export interface RouteRequest {
  readonly query: URLSearchParams;
  readonly body: Buffer;
  readonly json: JsonBody;
  readonly contentType: string | undefined;
  readonly nowMs: number;
  /** The caller's address as the socket saw it (IPv4 without the `::ffff:` prefix). */
  readonly clientIp: string;
}

export interface Handled {
  readonly reply: Reply;
  /** The account the call was for (from the token or the appid), when known. */
  readonly appId: string | null;
}

export interface Route {
  readonly method: 'GET' | 'POST';
  readonly maxBodyBytes: number;
  handle(request: RouteRequest): Handled | Promise<Handled>;
}

export interface SentMessage {
  readonly appId: string;
  /** `now()` when the send was accepted, in milliseconds. */
  readonly time: number;
  readonly message: CustomMessage;
}

export interface RouteState {
  readonly secrets: ReadonlyMap<string, string>;
  readonly tokens: TokenRegistry;
  readonly media: MediaStore;
  readonly callbackIps: readonly string[];
  /** The account's IP whitelist (docs/wechat-protocol.md §5.5): token calls from elsewhere answer 40164. */
  readonly ipWhitelist: ((ip: string) => boolean) | undefined;
  readonly baseUrl: () => string;
  /** The customer-service send rules (docs/wechat-protocol.md §7.3–§7.5): windows, typing, the daily quota. */
  readonly rules: SendRules;
  readonly onSend: (sent: SentMessage) => void;
}

/** The simulated endpoints by path (docs/wechat-protocol.md §5.5, §6.1, §7.1, §7.3, §8). */
export function createRoutes(state: RouteState): ReadonlyMap<string, Route> {
  const { tokens, media } = state;

  function fail(errcode: number, appId: string | null = null): Handled {
    return { reply: jsonReply(errorBody(errcode), errcode), appId };
  }

  function checkCredentials(
    request: RouteRequest,
    grantType: unknown,
    appid: unknown,
    secret: unknown,
  ): Handled | string {
    if (grantType !== 'client_credential') return fail(40002);
    const expected = typeof appid === 'string' ? state.secrets.get(appid) : undefined;
    if (typeof appid !== 'string' || expected === undefined) return fail(40013);
    if (state.ipWhitelist !== undefined && !state.ipWhitelist(request.clientIp)) {
      return { reply: jsonReply(ipNotWhitelistedBody(request.clientIp), 40164), appId: appid };
    }
    if (secret === expected) return appid;
    return fail(typeof secret === 'string' && APP_SECRET_SHAPE.test(secret) ? 40001 : 40125, appid);
  }

  /** Business endpoints: the token decides the account, or the errcode (docs/wechat-protocol.md §6.3). */
  function withToken(request: RouteRequest, handle: (appId: string) => Handled): Handled {
    const check = tokens.check(request.query.get('access_token') ?? undefined, request.nowMs);
    return check.ok ? handle(check.appId) : fail(check.errcode, check.appId);
  }

  function jsonObject(request: RouteRequest): { readonly value: unknown } | number {
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
  function checkedJsonPost<T>(
    check: (body: unknown, request: RouteRequest) => Verdict<T>,
    apply: (value: T, appId: string, request: RouteRequest) => number,
  ): Route {
    return {
      method: 'POST',
      maxBodyBytes: MAX_JSON_BODY_BYTES,
      handle: (request) =>
        withToken(request, (appId) => {
          const parsed = jsonObject(request);
          if (typeof parsed === 'number') return fail(parsed, appId);
          const verdict = check(parsed.value, request);
          if (!verdict.ok) return fail(verdict.errcode, appId);
          const errcode = apply(verdict.value, appId, request);
          return errcode === 0 ? { reply: jsonReply(errorBody(0), 0), appId } : fail(errcode, appId);
        }),
    };
  }

  const routes: [string, Route][] = [
    [
      '/cgi-bin/token',
      {
        method: 'GET',
        maxBodyBytes: MAX_JSON_BODY_BYTES,
        handle(request) {
          const { query } = request;
          const appId = checkCredentials(request, query.get('grant_type'), query.get('appid'), query.get('secret'));
          if (typeof appId !== 'string') return appId;
          return { reply: jsonReply(tokens.mintClassic(appId, request.nowMs), 0), appId };
        },
      },
    ],
    [
      '/cgi-bin/stable_token',
      {
        method: 'POST',
        maxBodyBytes: MAX_JSON_BODY_BYTES,
        handle(request) {
          const parsed = jsonObject(request);
          if (typeof parsed === 'number') return fail(parsed);
          const body = parsed.value;
          if (!isObject(body)) return fail(47001);
          const appId = checkCredentials(request, body['grant_type'], body['appid'], body['secret']);
          if (typeof appId !== 'string') return appId;
          const forceRefresh = body['force_refresh'] ?? false;
          if (typeof forceRefresh !== 'boolean') return fail(47001, appId);
          return { reply: jsonReply(tokens.stable(appId, request.nowMs, forceRefresh), 0), appId };
        },
      },
    ],
    [
      '/cgi-bin/message/custom/send',
      checkedJsonPost(
        (body, request) => checkCustomMessage(body, (mediaId) => media.get(mediaId, request.nowMs) !== undefined),
        (message, appId, request) => {
          // Last, so only a send that goes spends the user's window and the account's quota.
          const allowed = state.rules.trySend(appId, message.touser, request.nowMs);
          if (allowed === 0) state.onSend({ appId, time: request.nowMs, message });
          return allowed;
        },
      ),
    ],
    [
      '/cgi-bin/message/custom/typing',
      checkedJsonPost(checkTyping, ({ touser, command }, appId, request) =>
        state.rules.tryTyping(appId, touser, command, request.nowMs),
      ),
    ],
    [
      '/cgi-bin/getcallbackip',
      {
        method: 'GET',
        maxBodyBytes: MAX_JSON_BODY_BYTES,
        handle: (request) =>
          withToken(request, (appId) => ({ reply: jsonReply({ ip_list: state.callbackIps }, 0), appId })),
      },
    ],
    [
      '/cgi-bin/media/get',
      {
        method: 'GET',
        maxBodyBytes: MAX_JSON_BODY_BYTES,
        handle: (request) =>
          withToken(request, (appId) => {
            const mediaId = request.query.get('media_id');
            const stored = mediaId === null ? undefined : media.get(mediaId, request.nowMs);
            if (stored === undefined) return fail(40007, appId);
            // Video comes as a download URL, not as bytes (docs/wechat-protocol.md §8).
            if (stored.type === 'video') {
              const videoUrl = `${state.baseUrl()}${VIDEO_DOWNLOAD_PATH}${encodeURIComponent(stored.mediaId)}`;
              return { reply: jsonReply({ video_url: videoUrl }, 0), appId };
            }
            return { reply: fileReply(stored.mediaId, stored.contentType, stored.bytes), appId };
          }),
      },
    ],
    [
      '/cgi-bin/media/upload',
      {
        method: 'POST',
        maxBodyBytes: MAX_UPLOAD_BODY_BYTES,
        handle: async (request) => {
          // Parsed first (it never throws); the token and the type are still checked before its result is used.
          const parts = await parseMultipart(request.contentType, request.body);
          return withToken(request, (appId) => {
            const type = request.query.get('type') ?? '';
            if (!isMediaType(type)) return fail(40004, appId);
            const part = parts?.find((p) => p.name === 'media');
            if (part === undefined || part.data.length === 0) return fail(41005, appId);
            if (part.data.length > MEDIA_MAX_BYTES[type]) return fail(40006, appId);
            // text/plain is what a part without a Content-Type gets (RFC 7578 §4.4), and no media
            // type is text: the type's default applies then.
            const stored = media.add(
              {
                type,
                bytes: part.data,
                ...(part.contentType === 'text/plain' ? {} : { contentType: part.contentType }),
              },
              request.nowMs,
            );
            // A thumb's id comes back as thumb_media_id (docs/wechat-protocol.md §8).
            const idField = type === 'thumb' ? 'thumb_media_id' : 'media_id';
            const answer = { type, [idField]: stored.mediaId, created_at: Math.floor(stored.createdAtMs / 1000) };
            return { reply: jsonReply(answer, 0), appId };
          });
        },
      },
    ],
  ];
  return new Map(routes);
}

/** Serves the `video_url` that `media/get` hands out; no token, like a CDN link. */
export function videoDownload(media: MediaStore, mediaId: string, nowMs: number): Reply {
  const stored = media.get(mediaId, nowMs);
  if (stored?.type !== 'video')
    return { status: 404, headers: { 'content-type': 'text/plain' }, body: 'not found', errcode: null };
  return fileReply(stored.mediaId, stored.contentType, stored.bytes);
}

function fileReply(mediaId: string, contentType: string, bytes: Buffer): Reply {
  return {
    status: 200,
    headers: {
      'content-type': contentType,
      'content-disposition': `attachment; filename="${mediaId}.${extensionOf(contentType)}"`,
    },
    body: bytes,
    errcode: 0,
  };
}

function isObject(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
