export { INBOUND_ATTEMPTS, QUEUE_PREFIX, QUEUES, type QueueKey, inboundJobId, inboundJobOptions } from './catalog.js';
export { type InboundPayload, inboundPayloadSchema, parseInboundPayload } from './payloads.js';
