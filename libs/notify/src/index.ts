export { type Notifier, type NotifierOptions, createNotifier } from './notifier.js';
export { NotifyRequestError } from './idempotency.js';
export {
  type NotificationKind,
  type NotificationRecord,
  type NotificationRecords,
  type NotificationStatus,
  type StatusDetail,
  createNotificationRecords,
} from './records.js';
export { type MessageRequest, messageRequestSchema } from './request-schema.js';
export { type ConsentChange, type ConsentLedger, createConsentLedger } from './consent.js';
