export {
  type Assigned,
  type PassiveStore,
  type PassiveStoreOptions,
  PUSH_STATE_TTL_MS,
  type StoredReply,
  type Taken,
  createPassiveStore,
  wakeKeyOfPush,
  wakeKeyOfUser,
} from './store.js';
export { type ReplyWaiters, type Watch, createReplyWaiters } from './waiters.js';
