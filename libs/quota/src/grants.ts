import { type InboundMessage, isKnownMessage } from '@wxq/wechat';

/** The two kinds of customer-service send window (docs/wechat-protocol.md §7.4). */
export type GrantKind = 'message' | 'event';

/** How many sends a kind grants and for how long; settings, since WeChat has changed them before. */
export interface QuotaRules {
  /** WXQ_CS_QUOTA_MESSAGE: sends after a user message (default 5), for 48 h from its CreateTime. */
  readonly messageSends: number;
  /** WXQ_CS_QUOTA_EVENT: sends after a follow, scan or menu click (default 3), for 60 s. */
  readonly eventSends: number;
}

export const MESSAGE_WINDOW_MS = 48 * 3600 * 1000;
export const EVENT_WINDOW_MS = 60 * 1000;
/** Typing needs a message exchanged within this (45080), and shows this long (45081): docs/wechat-protocol.md §7.3. */
export const TYPING_INTERACTION_MS = 30_000;
export const TYPING_SHOWS_MS = 15_000;

const GRANTING_EVENTS: ReadonlySet<string> = new Set([
  'subscribe',
  'SCAN',
  'CLICK',
  'scancode_push',
  'scancode_waitmsg',
]);

/** What a push does to its user's quota: grant a window, close the windows, or nothing. */
export type QuotaEffect = { readonly grant: GrantKind } | { readonly close: true } | undefined;

/**
 * The quota effect of a push (docs/wechat-protocol.md §7.4): a user message grants the message window; following,
 * scanning and the three menu-click events grant the event window, and so does a tap on a
 * msgmenu option, which arrives as text but counts as a menu click. Unfollowing closes them.
 * Delivery reports and the rest grant nothing.
 */
export function quotaEffectOf(message: InboundMessage): QuotaEffect {
  if (!isKnownMessage(message)) return undefined;
  if (message.MsgType !== 'event') {
    return message.MsgType === 'text' && message.bizmsgmenuid !== undefined ? { grant: 'event' } : { grant: 'message' };
  }
  if (message.Event === 'unsubscribe') return { close: true };
  return GRANTING_EVENTS.has(message.Event) ? { grant: 'event' } : undefined;
}
