export {
  type Notifier,
  type NotifierOptions,
  type SendOptions,
  createNotifier,
  pushNotificationId,
} from './notifier.js';
export { NotifyRequestError } from './idempotency.js';
export {
  type NewRecord,
  type NotificationKind,
  type NotificationRecord,
  type NotificationRecords,
  type NotificationStatus,
  type StatusDetail,
  createNotificationRecords,
} from './records.js';
export {
  type MessageRequest,
  type SubscribeRequest,
  type TemplateRequest,
  messageRequestSchema,
} from './request-schema.js';
export { type ConsentChange, type ConsentLedger, createConsentLedger } from './consent.js';
export { type CampaignRequest, MAX_RECIPIENTS, campaignRequestSchema } from './campaign-schema.js';
export {
  type Campaign,
  type CampaignCounts,
  type CampaignRecipient,
  type CampaignStatus,
  type Campaigns,
  type RecipientPage,
  createCampaigns,
} from './campaigns.js';
export { type CampaignFeeder, createCampaignFeeder } from './campaign-feeder.js';
