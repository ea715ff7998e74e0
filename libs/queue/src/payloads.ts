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
});

export type OutboundPayload = z.output<typeof outboundPayloadSchema>;
