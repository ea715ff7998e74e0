import type { InboundMessage, PushMode } from '@wxq/wechat';
import { z } from 'zod';

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

/**
 * Checks job data read back from Redis (jobs outlive deploys).
 * @throws z.ZodError when the data is not a version-1 inbound payload
 */
export function parseInboundPayload(data: unknown): InboundPayload {
  return inboundPayloadSchema.parse(data);
}
