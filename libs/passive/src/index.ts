export {
  type Assigned,
  type OutboxLimits,
  type PassiveStore,
  type PassiveStoreOptions,
  type QueuedReply,
  type StoredReply,
  type Taken,
  createPassiveStore,
  wakeKeyOfPush,
  wakeKeyOfUser,
} from './store.js';
export { type ReplyWaiters, type Watch, createReplyWaiters } from './waiters.js';
