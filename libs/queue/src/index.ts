export {
  INBOUND_ATTEMPTS,
  OUTBOUND_ATTEMPTS,
  QUEUE_PREFIX,
  QUEUES,
  type QueueKey,
  inboundJobId,
  inboundJobOptions,
  outboundJobId,
  outboundJobOptions,
} from './catalog.js';
export {
  type InboundPayload,
  type OutboundPayload,
  type OutboundReply,
  inboundPayloadSchema,
  outboundPayloadSchema,
  parseInboundPayload,
  parseOutboundPayload,
} from './payloads.js';
