import type { OutboundPayload } from '@wxq/queue';

/**
 * How long a job that is not its lane's head parks before it looks again by itself. The head
 * wakes it as soon as it is done; this only bounds the wait when that hand-over was lost to a
 * crash (docs/ordering.md).
 */
export const PARK_MS = 5_000;

/** Whose conversation a reply belongs to: its recipient. */
export function recipientOf(payload: OutboundPayload): string {
  return payload.reply.kind === 'message' ? payload.reply.message.touser : payload.reply.touser;
}

/** The reason of a job that had failed for good when its worker died, before BullMQ recorded it. */
export const LEFT_FAILED = 'failed for good before its worker stopped (see the attempt before)';
