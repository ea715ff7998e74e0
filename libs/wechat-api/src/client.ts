import { performance } from 'node:perf_hooks';
import type { CustomMessage, SubscribeMessage, TemplateMessage, TypingCommand } from '@wxq/wechat';
import { isKnownErrcode } from './send-policy.js';
import { WechatApiError, WechatTransportError } from './errors.js';
import {
  type JsonRecord,
  type RawAnswer,
  type WechatRequest,
  parseJsonAnswer,
  parseJsonObject,
  sendRequest,
  throwIfErrcode,
} from './http.js';
import { type ApiLogger, SILENT_LOGGER } from './logger.js';
import { readMsgid } from './msgid.js';
import type { TokenSource } from './token-store.js';

const utf8 = new TextDecoder('utf-8', { fatal: false });

/** The paths this client calls; errors and logs name these, never URLs. */
export const API_PATHS = {
  customSend: '/cgi-bin/message/custom/send',
  customTyping: '/cgi-bin/message/custom/typing',
  getCallbackIp: '/cgi-bin/getcallbackip',
  mediaGet: '/cgi-bin/media/get',
  mediaUpload: '/cgi-bin/media/upload',
  templateSend: '/cgi-bin/message/template/send',
  subscribeSend: '/cgi-bin/message/subscribe/bizsend',
} as const;

export type ApiPath = (typeof API_PATHS)[keyof typeof API_PATHS];

export interface WechatApiClientOptions {
  /** The API host: WECHAT_API_BASE_URL, whose default (@wxq/config) is production's; the simulator's URL in tests. */
  readonly baseUrl: string;
  readonly tokens: TokenSource;
  /** Per HTTP call, body included; a call that takes longer fails with a retryable timeout. */
  readonly timeoutMs: number;
  readonly logger?: ApiLogger;
}

/** Temporary media types (docs/wechat-protocol.md §8). */
export type MediaType = 'image' | 'voice' | 'video' | 'thumb';

export interface MediaUpload {
  readonly filename: string;
  readonly contentType: string;
  readonly bytes: Uint8Array;
}

/** A downloaded media file, or for videos the link WeChat answers with instead (docs/wechat-protocol.md §8). */
export type DownloadedMedia =
  | { readonly kind: 'file'; readonly contentType: string; readonly bytes: Uint8Array }
  | { readonly kind: 'video_url'; readonly videoUrl: string };

export interface WechatApiClient {
  /** Sends one customer-service message (docs/wechat-protocol.md §7.1, §7.2). */
  sendCustomMessage(message: CustomMessage): Promise<void>;
  /** Shows or cancels "typing…" for a user (docs/wechat-protocol.md §7.3). */
  typing(touser: string, command: TypingCommand): Promise<void>;
  /**
   * Sends one template message (docs/wechat-protocol.md §11.1) and answers its msgid, the 64-bit
   * id the delivery report (TEMPLATESENDJOBFINISH) names, as exact decimal text; '' in the rare
   * success whose msgid is missing or unreadable (the message went out all the same).
   */
  sendTemplate(message: TemplateMessage): Promise<{ readonly msgid: string }>;
  /**
   * Sends one subscribe notification (docs/wechat-protocol.md §12.2); its msgid as exact decimal
   * text when WeChat answers one (newer answers do).
   */
  sendSubscribe(message: SubscribeMessage): Promise<{ readonly msgid?: string }>;
  /** The IPs (and CIDR ranges) WeChat pushes from (docs/wechat-protocol.md §5.5). */
  getCallbackIp(): Promise<string[]>;
  /** Downloads temporary media a user sent (valid 3 days, docs/wechat-protocol.md §8). */
  getMedia(mediaId: string): Promise<DownloadedMedia>;
  /** Uploads temporary media and returns its media_id (valid 3 days, docs/wechat-protocol.md §8). */
  uploadMedia(type: MediaType, file: MediaUpload): Promise<string>;
}

/**
 * A WeChat API client. Every call runs with its own timeout and throws WechatApiError: its `kind` says
 * whether to retry. A refused access_token (40001, 40014, 42001) is invalidated in `tokens`
 * (compare-and-invalidate), and the call is retried once with a fresh token (docs/wechat-protocol.md §6.2);
 * nothing else is retried here, since a send is not idempotent (docs/wechat-protocol.md §7.5): that is the
 * caller's decision. Throws RangeError or TypeError on bad options.
 */
export function createWechatApiClient(options: WechatApiClientOptions): WechatApiClient {
  const { baseUrl, tokens, timeoutMs } = options;
  const logger = options.logger ?? SILENT_LOGGER;
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1) {
    throw new RangeError(`createWechatApiClient: timeoutMs must be a positive integer, got ${timeoutMs}`);
  }
  if (!URL.canParse(baseUrl)) throw new TypeError('createWechatApiClient: baseUrl is not a URL');

  /** One call with the current token; on a refused token, once more with a fresh one. */
  async function withToken<T>(path: ApiPath, attempt: (accessToken: string) => Promise<T>): Promise<T> {
    const accessToken = await tokens.getToken();
    try {
      return await attempt(accessToken);
    } catch (error) {
      if (!(error instanceof WechatApiError) || error.kind !== 'token_invalid') throw error;
      logger.warn({ api: path, errcode: error.errcode }, 'access_token refused: invalidating it and retrying once');
      await tokens.invalidate(accessToken);
      const freshToken = await tokens.getToken();
      if (freshToken === accessToken) {
        // stable_token in normal mode answered the refused token again (or the store is read-only): the one
        // retry still runs, since a refused call delivered nothing and a glitch may pass. If this repeats,
        // docs/wechat-protocol.md §6.2 suggests a force_refresh, which is rationed (20/day) and left to
        // people.
        logger.warn({ api: path, errcode: error.errcode }, 'the token store returned the refused access_token again');
      }
      return await attempt(freshToken);
    }
  }

  /** Sends, logs the outcome by path and errcode, and hands the answer to `read`. */
  async function exchange<T>(request: WechatRequest, read: (answer: RawAnswer) => T): Promise<T> {
    const started = performance.now();
    try {
      const result = read(await sendRequest(request));
      logger.debug({ api: request.path, durationMs: elapsedMs(started) }, 'wechat api call succeeded');
      return result;
    } catch (error) {
      if (error instanceof WechatApiError) {
        const { code, errcode, kind, httpStatus } = error;
        if (errcode !== undefined && !isKnownErrcode(errcode)) {
          logger.warn({ api: request.path, errcode }, 'unknown errcode: treated as permanent');
        }
        logger.debug(
          { api: request.path, code, errcode, kind, httpStatus, durationMs: elapsedMs(started) },
          'wechat api call failed',
        );
      }
      throw error;
    }
  }

  function request(
    path: ApiPath,
    accessToken: string,
    rest: Pick<WechatRequest, 'method'> & Partial<WechatRequest>,
  ): WechatRequest {
    return {
      baseUrl,
      path,
      timeoutMs,
      ...rest,
      query: { access_token: accessToken, ...rest.query },
      secrets: [accessToken],
    };
  }

  function postJson(path: ApiPath, body: unknown): Promise<JsonRecord> {
    return withToken(path, (accessToken) => {
      const req = request(path, accessToken, { method: 'POST', body: { json: body } });
      return exchange(req, (answer) => parseJsonAnswer(answer, req));
    });
  }

  /**
   * A notification send: its answer's msgid, read from the raw text since JSON.parse rounds it;
   * undefined (logged when WeChat wrote one) when it cannot be read exactly.
   */
  function postNotification(path: ApiPath, body: unknown): Promise<string | undefined> {
    return withToken(path, (accessToken) => {
      const req = request(path, accessToken, { method: 'POST', body: { json: body } });
      return exchange(req, (answer) => {
        const record = parseJsonAnswer(answer, req);
        const msgid = readMsgid(record, utf8.decode(answer.bytes));
        if (msgid === undefined && record.msgid !== undefined) {
          logger.warn({ api: path }, 'sent, but the msgid of the answer cannot be read exactly');
        }
        return msgid;
      });
    });
  }

  return {
    async sendCustomMessage(message) {
      await postJson(API_PATHS.customSend, message);
    },

    async typing(touser, command) {
      await postJson(API_PATHS.customTyping, { touser, command });
    },

    async sendTemplate(message) {
      return { msgid: (await postNotification(API_PATHS.templateSend, message)) ?? '' };
    },

    async sendSubscribe(message) {
      const msgid = await postNotification(API_PATHS.subscribeSend, message);
      return msgid === undefined ? {} : { msgid };
    },

    getCallbackIp() {
      const path = API_PATHS.getCallbackIp;
      return withToken(path, (accessToken) => {
        const req = request(path, accessToken, { method: 'GET' });
        return exchange(req, (answer) => {
          const ipList = parseJsonAnswer(answer, req).ip_list;
          if (!Array.isArray(ipList) || !ipList.every((ip): ip is string => typeof ip === 'string')) {
            throw new WechatTransportError('bad_response', path, 'answer has no ip_list of strings');
          }
          return ipList;
        });
      });
    },

    getMedia(mediaId) {
      const path = API_PATHS.mediaGet;
      return withToken(path, (accessToken) => {
        const req = request(path, accessToken, { method: 'GET', query: { media_id: mediaId } });
        return exchange(req, (answer) => readMedia(answer, req));
      });
    },

    uploadMedia(type, file) {
      const path = API_PATHS.mediaUpload;
      return withToken(path, (accessToken) => {
        const form = new FormData();
        form.append('media', new Blob([file.bytes], { type: file.contentType }), file.filename);
        const req = request(path, accessToken, { method: 'POST', query: { type }, body: { form } });
        return exchange(req, (answer) => {
          const record = parseJsonAnswer(answer, req);
          // For type=thumb the id may come back as thumb_media_id (docs/wechat-protocol.md §8).
          const mediaId = record.media_id ?? record.thumb_media_id;
          if (typeof mediaId !== 'string' || mediaId === '') {
            throw new WechatTransportError('bad_response', path, 'answer has no media_id');
          }
          return mediaId;
        });
      });
    },
  };
}

/**
 * docs/wechat-protocol.md §8: success is the file itself; an error is JSON with status 200 (told apart by
 * content type, or a body starting with `{`); a video is JSON `{"video_url": …}`.
 */
function readMedia(answer: RawAnswer, request: WechatRequest): DownloadedMedia {
  const contentType = answer.contentType.toLowerCase();
  const isDeclaredText = contentType.startsWith('application/json') || contentType.startsWith('text/plain');
  if (isDeclaredText || startsWithBrace(answer.bytes)) {
    const record = parseJsonObject(answer.bytes);
    if (record !== undefined) {
      throwIfErrcode(record, request, 'api');
      const { video_url: videoUrl } = record;
      if (typeof videoUrl === 'string' && videoUrl !== '') return { kind: 'video_url', videoUrl };
      throw new WechatTransportError('bad_response', request.path, 'JSON answer with neither errcode nor video_url');
    }
    if (isDeclaredText)
      throw new WechatTransportError('bad_response', request.path, `unreadable ${contentType} answer`);
  }
  return { kind: 'file', contentType: answer.contentType, bytes: answer.bytes };
}

function startsWithBrace(bytes: Uint8Array): boolean {
  const first = bytes.find((byte) => byte !== 0x20 && byte !== 0x0a && byte !== 0x0d && byte !== 0x09);
  return first === 0x7b;
}

function elapsedMs(started: number): number {
  return Math.round(performance.now() - started);
}
