import type { InboundMessage, PushMode } from '@wxq/wechat';
import { z } from 'zod';
import { replySchema } from './reply-schema.js';

const PUSH_MODES = ['plaintext', 'compatible', 'safe'] as const satisfies readonly PushMode[];

// The header is checked on dequeue; the rest was typed by @wxq/wechat's parser when it was made.
const messageSchema = z
  .object({ ToUserName: z.string(), FromUserName: z.string(), CreateTime: z.string(), MsgType: z.string() })
  .loose()
  .transform((message) => message as unknown as InboundMessage);

/**
 * A push on the inbound queue. Holds no secrets and no ciphertext: job data sits in Redis in clear
 * text (BullMQ guide, going-to-production, "Protecting data").
 */
export const inboundPayloadSchema = z.object({
  v: z.literal(1),
  appId: z.string(),
  mode: z.enum(PUSH_MODES),
  /** When the gateway accepted it, in epoch milliseconds. */
  receivedAt: z.number().int(),
  dedupKey: z.string(),
  message: messageSchema,
});

export type InboundPayload = z.output<typeof inboundPayloadSchema>;

/** A reply on the outbound queue: sent alone, so a failed send never re-runs the handler. */
export const outboundPayloadSchema = z.object({
  v: z.literal(1),
  appId: z.string(),
  /** The inbound push it answers, and its place among that push's replies. */
  dedupKey: z.string(),
  replyIndex: z.number().int().min(0),
  /** The push's receivedAt: the reply's place in the user's ordering lane. Absent on older jobs. */
  receivedAt: z.number().int().exactOptional(),
  reply: replySchema,
  /**
   * WXQ_REPLY_MODE=passive: the reply was offered to the gateway holding its push, and is sent
   * only if no gateway answered with it (docs/passive-replies.md).
   */
  offered: z.literal(true).exactOptional(),
  /**
   * The inbound job sent this reply itself first and WeChat answered an errcode: the job's first
   * attempt takes that answer as its own instead of calling again (docs/ordering.md, "Inline sends").
   */
  inlineAttempt: z
    .object({
      api: z.string(),
      errcode: z.number().int(),
      errmsg: z.string(),
    })
    .exactOptional(),
  /**
   * A customer-service message sent through the API (docs/notifications.md): the id of its
   * notification record, which the send moves on. Its `dedupKey` is `api:<id>`, no push's.
   */
  notification: z.string().exactOptional(),
});

export type OutboundPayload = z.output<typeof outboundPayloadSchema>;

/** A template message's fields as template/send takes them, less touser (docs/wechat-protocol.md §11.1). */
const templateSendSchema = z.object({
  kind: z.literal('template'),
  template_id: z.string(),
  data: z.record(z.string(), z.object({ value: z.string(), color: z.string().exactOptional() })),
  url: z.string().exactOptional(),
  miniprogram: z.object({ appid: z.string(), pagepath: z.string().exactOptional() }).exactOptional(),
});

/** A subscribe notification's fields as subscribe/bizsend takes them, less touser (§12.2). */
const subscribeSendSchema = z.object({
  kind: z.literal('subscribe'),
  template_id: z.string(),
  data: z.record(z.string(), z.object({ value: z.string() })),
  page: z.string().exactOptional(),
  miniprogram: z.object({ appid: z.string(), pagepath: z.string().exactOptional() }).exactOptional(),
});

/** What a notification sends: a template message or a subscribe notification. */
export const notificationSendSchema = z.discriminatedUnion('kind', [templateSendSchema, subscribeSendSchema]);

export type NotificationSend = z.output<typeof notificationSendSchema>;

/**
 * A notification on the notify queue (docs/notifications.md): one template message or subscribe
 * notification to one user, from the API, a handler or a campaign. Its `id` names its record and,
 * as `client_msg_id`, makes a repeat of the send within 10 minutes no second message at WeChat.
 */
export const notifyPayloadSchema = z.object({
  v: z.literal(1),
  appId: z.string(),
  id: z.string(),
  to: z.string(),
  send: notificationSendSchema,
  /** When it was accepted, epoch ms. */
  createdAt: z.number().int(),
  campaignId: z.string().exactOptional(),
  /** How often WeChat said "too often to this user" (43117) and the send was put off: at most 3 times. */
  deferred: z.number().int().min(0).exactOptional(),
});

export type NotifyPayload = z.output<typeof notifyPayloadSchema>;

/** The most recipients one notify-batch job sends. */
export const NOTIFY_BATCH_MAX = 20;

/**
 * Up to NOTIFY_BATCH_MAX recipients of one template campaign on the notify-batch queue
 * (docs/notifications.md), sent one after another by one job: what a job costs (its moves in
 * BullMQ, its add, its parse) is paid once per batch, not once per send. Each recipient is a
 * notification like one on the notify queue (its record, its id as `client_msg_id`); one that
 * needs more than one call (a retry, a pause) is handed over to a notify job of its own.
 */
export const notifyBatchPayloadSchema = z.object({
  v: z.literal(1),
  appId: z.string(),
  campaignId: z.string(),
  /** Where the batch starts in the campaign's recipients: with the campaign, the job's id. */
  start: z.number().int().min(0),
  /** The campaign's message; a recipient's own data is merged over its data. */
  send: templateSendSchema,
  recipients: z
    .array(z.object({ id: z.string(), to: z.string(), data: templateSendSchema.shape.data.exactOptional() }))
    .min(1)
    .max(NOTIFY_BATCH_MAX),
  /** When it was fed, epoch ms. */
  createdAt: z.number().int(),
});

export type NotifyBatchPayload = z.output<typeof notifyBatchPayloadSchema>;
