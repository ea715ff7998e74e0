import type { Logger } from '@wxq/logging';
import {
  type MessageRequest,
  type SubscribeRequest,
  type TemplateRequest,
  messageRequestSchema,
  pushNotificationId,
} from '@wxq/notify';
import type { QuotaView } from '@wxq/quota';
import type { Reply } from '@wxq/queue';
import type { RedisClient, WxqKeys } from '@wxq/redis';
import { z } from 'zod';
import type { CustomMessage, CustomMessageBody, InboundMessage, NewsArticle, TypingCommand } from '@wxq/wechat';
import type { WechatApiClient } from '@wxq/wechat-api';

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
/** A message body before the recipient and sender account are filled in. */
type Draft = DistributiveOmit<CustomMessage, 'touser' | 'customservice'>;

export interface ReplyOptions {
  /** Send as this customer-service account (`customservice.kf_account`, docs/wechat-protocol.md §7.1). */
  readonly kfAccount?: string;
  /** Another recipient than the sender of the message. */
  readonly to?: string;
}

/**
 * Reply helpers for every customer-service msgtype (docs/wechat-protocol.md §7.2). They record; the worker sends
 * each recorded reply as its own outbound job after the handler returns.
 */
export interface ReplyHelpers {
  text(content: string, options?: ReplyOptions): void;
  image(mediaId: string, options?: ReplyOptions): void;
  voice(mediaId: string, options?: ReplyOptions): void;
  video(video: CustomMessageBody<'video'>, options?: ReplyOptions): void;
  music(music: CustomMessageBody<'music'>, options?: ReplyOptions): void;
  /** An external link card; WeChat takes one article at most (45008). */
  news(article: NewsArticle, options?: ReplyOptions): void;
  mpnews(mediaId: string, options?: ReplyOptions): void;
  mpnewsarticle(articleId: string, options?: ReplyOptions): void;
  msgmenu(menu: CustomMessageBody<'msgmenu'>, options?: ReplyOptions): void;
  wxcard(cardId: string, options?: ReplyOptions): void;
  miniprogrampage(page: CustomMessageBody<'miniprogrampage'>, options?: ReplyOptions): void;
  /** The "typing…" indicator (docs/wechat-protocol.md §7.3); a later message cancels it. */
  typing(command?: TypingCommand, options?: Pick<ReplyOptions, 'to'>): void;
}

export interface NotifyOptions {
  /** Another recipient than the sender of the message. */
  readonly to?: string;
}

/**
 * Notifications from a handler (docs/notifications.md): they record and answer the notification's
 * id, the same on every run of this push, so `GET /api/v1/messages/:id` finds it. The worker queues
 * them after the handler returns, once per push: a re-run queues nothing twice, and an attempt
 * that fails or times out queues nothing.
 * @throws TypeError for a template or notification the API would refuse (naming the field)
 */
export interface NotifyHelpers {
  /** A template message (模板消息), outside the customer-service window. */
  template(template: TemplateRequest, options?: NotifyOptions): string;
  /** A subscribe notification (订阅通知): sent only with the user's consent (WXQ_SUBSCRIBE_CONSENT). */
  subscribe(notification: SubscribeRequest, options?: NotifyOptions): string;
}

/** A recorded notification: its id and the request the worker queues. */
export interface RecordedNotification {
  readonly id: string;
  readonly request: MessageRequest;
}

export interface HandlerContext<M extends InboundMessage = InboundMessage> {
  readonly message: M;
  readonly account: { readonly appId: string };
  /** A child logger with the job and account bound. Message content belongs at debug level. */
  readonly log: Logger;
  /** For reads such as media downloads. Replies go through `reply`, never through `api`. */
  readonly api: WechatApiClient;
  /** The worker's Redis connection, for state of your own (rate limits, sessions). */
  readonly redis: RedisClient;
  /**
   * Key names of the user's queue shard (docs/shards.md); `keys.handler(...)` for keys of your own,
   * always under the deployment's prefix.
   */
  readonly keys: WxqKeys;
  /**
   * The user's customer-service quota as this push found it (docs/quota.md): sends left and until
   * when, before this handler's replies. Undefined with WXQ_CS_QUOTA=off. Replies beyond it are
   * not sent under WXQ_CS_QUOTA=enforce: merge them, or pick another channel.
   */
  readonly quota: QuotaView | undefined;
  readonly reply: ReplyHelpers;
  /** What has been recorded so far, in order. */
  readonly replies: readonly Reply[];
  readonly notify: NotifyHelpers;
  /** The notifications recorded so far, in order. */
  readonly notifications: readonly RecordedNotification[];
  /** Scratch space shared by middleware and handlers of one message. */
  readonly state: Record<string, unknown>;
  /**
   * Aborts when the worker gives up on this attempt (WXQ_HANDLER_TIMEOUT_MS): pass it to `fetch`
   * and other slow calls. From then on nothing is recorded, and what was recorded is never sent.
   */
  readonly signal: AbortSignal;
}

export interface ContextDeps {
  readonly appId: string;
  readonly log: Logger;
  readonly api: WechatApiClient;
  readonly redis: RedisClient;
  readonly keys: WxqKeys;
  readonly quota?: QuotaView | undefined;
  /** The attempt's signal; a context without one never aborts. */
  readonly signal?: AbortSignal | undefined;
  /** The push's job id: the notifications' ids are made from it. */
  readonly pushId: string;
}

/** A fresh context for one message; its `replies` are what the inbound processor enqueues. */
export function createContext(message: InboundMessage, deps: ContextDeps): HandlerContext {
  const replies: Reply[] = [];
  const signal = deps.signal ?? new AbortController().signal;
  const send = (draft: Draft, options: ReplyOptions | undefined) => {
    if (signal.aborted) return;
    const kf = options?.kfAccount === undefined ? {} : { customservice: { kf_account: options.kfAccount } };
    replies.push({ kind: 'message', message: { touser: options?.to ?? message.FromUserName, ...draft, ...kf } });
  };
  const reply: ReplyHelpers = {
    text: (content, o) => {
      send({ msgtype: 'text', text: { content } }, o);
    },
    image: (media_id, o) => {
      send({ msgtype: 'image', image: { media_id } }, o);
    },
    voice: (media_id, o) => {
      send({ msgtype: 'voice', voice: { media_id } }, o);
    },
    video: (video, o) => {
      send({ msgtype: 'video', video }, o);
    },
    music: (music, o) => {
      send({ msgtype: 'music', music }, o);
    },
    news: (article, o) => {
      send({ msgtype: 'news', news: { articles: [article] } }, o);
    },
    mpnews: (media_id, o) => {
      send({ msgtype: 'mpnews', mpnews: { media_id } }, o);
    },
    mpnewsarticle: (article_id, o) => {
      send({ msgtype: 'mpnewsarticle', mpnewsarticle: { article_id } }, o);
    },
    msgmenu: (msgmenu, o) => {
      send({ msgtype: 'msgmenu', msgmenu }, o);
    },
    wxcard: (card_id, o) => {
      send({ msgtype: 'wxcard', wxcard: { card_id } }, o);
    },
    miniprogrampage: (page, o) => {
      send({ msgtype: 'miniprogrampage', miniprogrampage: page }, o);
    },
    typing: (command = 'Typing', o) => {
      if (signal.aborted) return;
      replies.push({ kind: 'typing', touser: o?.to ?? message.FromUserName, command });
    },
  };
  const notifications: RecordedNotification[] = [];
  const recordNotification = (fields: Pick<MessageRequest, 'template' | 'subscribe'>, o: NotifyOptions | undefined) => {
    const parsed = messageRequestSchema.safeParse({ to: o?.to ?? message.FromUserName, ...fields });
    if (!parsed.success) throw new TypeError(`ctx.notify: ${z.prettifyError(parsed.error)}`);
    // Made even when aborted, so the caller gets an id; only what is recorded is queued.
    const id = pushNotificationId(deps.pushId, notifications.length);
    if (!signal.aborted) notifications.push({ id, request: { ...parsed.data, account: deps.appId } });
    return id;
  };
  const notify: NotifyHelpers = {
    template: (template, o) => recordNotification({ template }, o),
    subscribe: (subscribe, o) => recordNotification({ subscribe }, o),
  };
  const { log, api, redis, keys, quota } = deps;
  return {
    message,
    account: { appId: deps.appId },
    log,
    api,
    redis,
    keys,
    quota,
    reply,
    replies,
    notify,
    notifications,
    state: {},
    signal,
  };
}
