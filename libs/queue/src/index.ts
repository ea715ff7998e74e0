export {
  type InboundResult,
  type InboundSettings,
  type PayloadOf,
  QUEUE_KEYS,
  QUEUES,
  type QueueDefinition,
  type QueueKey,
  type ResultOf,
  type SettingsOf,
  inboundJobId,
  keptAfterDoneMs,
  outboundJobId,
  queueOnShard,
} from './catalog.js';
export {
  type InboundPayload,
  NOTIFY_BATCH_MAX,
  type NotificationSend,
  type NotifyBatchPayload,
  type NotifyPayload,
  type OutboundPayload,
  notifyPayloadSchema,
  notificationSendSchema,
} from './payloads.js';
export { type Producer, type ProducerOptions, createProducer } from './producer.js';
export {
  type JobContext,
  type Processor,
  type ProcessorMap,
  type QueueWorkerOptions,
  createQueueWorker,
} from './queue-worker.js';
export { type Reply, customerServiceBodySchema } from './reply-schema.js';
export { type LaneEntry, type LaneOutcome, type Lanes, type Turn, createLanes, laneScore } from './lanes.js';
export { type Conversation, conversationOf } from './conversation.js';
export { OperatorQueue } from './operator-queue.js';
