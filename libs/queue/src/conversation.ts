import { QUEUES } from './catalog.js';

/** Whose conversation a job belongs to: the account and the user (the sender of a push, the recipient of a reply). */
export interface Conversation {
  readonly appId: string;
  readonly openId: string;
}

/**
 * The conversation of a job of the queue named `queueName`, from its data; undefined for another
 * queue or data that is not a valid payload (jobs outlive deploys).
 */
export function conversationOf(queueName: string, data: unknown): Conversation | undefined {
  if (queueName === QUEUES.inbound.name) {
    const parsed = QUEUES.inbound.schema.safeParse(data);
    return parsed.success ? { appId: parsed.data.appId, openId: parsed.data.message.FromUserName } : undefined;
  }
  if (queueName === QUEUES.outbound.name) {
    const parsed = QUEUES.outbound.schema.safeParse(data);
    if (!parsed.success) return undefined;
    const { reply } = parsed.data;
    return { appId: parsed.data.appId, openId: reply.kind === 'message' ? reply.message.touser : reply.touser };
  }
  if (queueName === QUEUES.notify.name) {
    const parsed = QUEUES.notify.schema.safeParse(data);
    return parsed.success ? { appId: parsed.data.appId, openId: parsed.data.to } : undefined;
  }
  return undefined;
}
