export {
  EVENT_WINDOW_MS,
  type GrantKind,
  MESSAGE_WINDOW_MS,
  type QuotaEffect,
  type QuotaRules,
  quotaEffectOf,
} from './grants.js';
export {
  type QuotaLedger,
  type QuotaLedgerOptions,
  type QuotaView,
  type Reservation,
  type TypingVerdict,
  createQuotaLedger,
} from './ledger.js';
export { type SendPause, UNTIL_RESUMED, createSendPause, nextBeijingMidnight } from './send-pause.js';
