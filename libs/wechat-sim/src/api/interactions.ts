import {
  type InboundMessage,
  type XmlRecord,
  fieldOf,
  parseInboundXml,
  toInboundMessage,
  XML_LIMITS,
} from '@wxq/wechat';

/** A user action the simulator is told of: the push WeChat sent the account about it (docs/wechat-protocol.md §4). */
export interface Interaction {
  readonly appId: string;
  readonly message: InboundMessage;
}

/**
 * What a push means for the user's customer-service sends (docs/wechat-protocol.md §7.4): `message` opens the message
 * window, `event` the event window, `close` (unsubscribe) closes both, `none` changes nothing
 * (VIEW, LOCATION, delivery reports, …).
 */
export type Grant = 'message' | 'event' | 'close' | 'none';

/**
 * `applied`, or left alone: `duplicate` (the same push told again: a retry, or told both by
 * `sendPush` and by the test) or `superseded` (older than the window of its kind, or than the
 * unsubscribe, already recorded: WeChat goes by the latest action).
 */
export type InteractionOutcome = 'applied' | 'duplicate' | 'superseded';

export type WindowKind = 'message' | 'event';

/** One open send window of a user (docs/wechat-protocol.md §7.4). */
export interface SendWindow {
  readonly kind: WindowKind;
  readonly sendsLeft: number;
  /** Epoch ms: the window is open while `now()` is before this. */
  readonly closesAt: number;
}

export interface RecordedInteraction {
  readonly appId: string;
  /** The user: the push's FromUserName. */
  readonly openId: string;
  readonly msgType: string;
  /** The push's Event, for `MsgType` `event`. */
  readonly event?: string;
  /** The push's CreateTime, in ms: when the user acted (docs/wechat-protocol.md §4.1). */
  readonly createdAt: number;
  /** `now()` when the simulator was told. */
  readonly time: number;
  readonly grant: Grant;
  readonly outcome: InteractionOutcome;
  /** The window of its kind after this interaction, when it granted one and the window is still open. */
  readonly window?: SendWindow;
  /** For a subscribe popup or settings change (docs/wechat-protocol.md §12.1): what each of its entries did. */
  readonly consent?: readonly ConsentChange[];
}

/**
 * One entry of a `subscribe_msg_popup_event` / `subscribe_msg_change_event` (docs/wechat-protocol.md
 * §12.1) and what it did: `applied`; `duplicate` (the same push told again); `ignored` (not a
 * subscribe template of the account, or a status other than accept/reject).
 */
export interface ConsentChange {
  readonly templateId: string;
  readonly status: string;
  readonly outcome: 'applied' | 'duplicate' | 'ignored';
  /** The user's consent for the template afterwards, when applied or duplicate. */
  readonly consent?: SubscribeConsent;
}

/** A user's consent to one subscribe template (docs/wechat-protocol.md §12.1). */
export interface SubscribeConsent {
  readonly appId: string;
  readonly openId: string;
  readonly templateId: string;
  readonly longTerm: boolean;
  /** One-time templates: sends left, one per accept. Long-term templates need none. */
  readonly credits: number;
  /** Whether a send of the template to the user would go now (else 43101). */
  readonly canSend: boolean;
}

/** Anything that can be told of an interaction: the simulator itself, or `createInteractionClient(url)`. */
export interface InteractionRecorder {
  recordInteraction(interaction: Interaction): RecordedInteraction | Promise<RecordedInteraction>;
}

// docs/wechat-protocol.md §7.4: following, scanning a parametric QR code, and the three menu types that count
// as a click.
const EVENT_GRANTS: ReadonlySet<string> = new Set(['subscribe', 'SCAN', 'CLICK', 'scancode_push', 'scancode_waitmsg']);

/** How a push counts against the rules of docs/wechat-protocol.md §7.4. */
export function grantOf(message: InboundMessage): Grant {
  if (message.MsgType !== 'event') {
    // A tap on a msgmenu option arrives as text with bizmsgmenuid (docs/wechat-protocol.md §4.2) but counts as a menu
    // click: 3 a minute, and not the 5-per-48-h grant of a message (docs/wechat-protocol.md §7.4).
    const menuId = fieldOf(message, 'bizmsgmenuid');
    return message.MsgType === 'text' && typeof menuId === 'string' && menuId !== '' ? 'event' : 'message';
  }
  const event = fieldOf(message, 'Event');
  if (event === 'unsubscribe') return 'close';
  return typeof event === 'string' && EVENT_GRANTS.has(event) ? 'event' : 'none';
}

/** Simulator-only: `POST /sim/interactions` tells the simulator of a user action (never a real API path). */
export const INTERACTIONS_PATH = '/sim/interactions';

type InteractionRequest =
  | { readonly ok: true; readonly appId: string; readonly message: InboundMessage }
  | { readonly ok: false; readonly status: number; readonly error: string };

/**
 * Reads a `POST /sim/interactions` body: the plaintext push XML with `?appid=`, or JSON
 * `{"appid": "...", "message": {...}}` with the push's fields (wire names, string values).
 * Never throws: anything else is a 4xx with a reason.
 */
export function parseInteractionRequest(
  query: URLSearchParams,
  contentType: string | undefined,
  body: Buffer,
  hasAccount: (appId: string) => boolean,
): InteractionRequest {
  const kind = bodyKind(contentType, body);
  if (kind === undefined) return refuse(415, 'send the push as text/xml or as application/json {"appid", "message"}');
  const read = kind === 'xml' ? readXml(body) : readJson(body);
  if ('error' in read) return refuse(400, read.error);
  const fromQuery = query.get('appid') ?? undefined;
  if (fromQuery !== undefined && read.appId !== undefined && fromQuery !== read.appId) {
    return refuse(400, 'the appid of the query and of the body differ');
  }
  const appId = fromQuery ?? read.appId;
  if (appId === undefined || appId === '') return refuse(400, 'which account? pass ?appid= (or "appid" in the JSON)');
  if (!hasAccount(appId)) return refuse(404, `no such account in the simulator: ${appId}`);
  return { ok: true, appId, message: read.message };
}

type Read = { readonly message: InboundMessage; readonly appId?: string } | { readonly error: string };

function readXml(body: Buffer): Read {
  try {
    return { message: parseInboundXml(body) };
  } catch (error) {
    const encrypted = body.includes('<Encrypt>');
    return {
      error: encrypted ? 'an encrypted push: send its plaintext XML (the simulator has no AES key)' : reason(error),
    };
  }
}

function readJson(body: Buffer): Read {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    return { error: 'the body is not JSON' };
  }
  if (!isObject(value)) return { error: 'the JSON must be an object {"appid", "message"}' };
  const { appid, message } = value;
  if (appid !== undefined && typeof appid !== 'string') return { error: '"appid" must be a string' };
  if (!isXmlRecord(message)) {
    return {
      error: `"message" must be an object of the push's fields: strings, objects and arrays, at most ${XML_LIMITS.maxDepth} deep`,
    };
  }
  try {
    const typed = toInboundMessage(message);
    return appid === undefined ? { message: typed } : { message: typed, appId: appid };
  } catch (error) {
    return { error: reason(error) };
  }
}

function bodyKind(contentType: string | undefined, body: Buffer): 'xml' | 'json' | undefined {
  const type = contentType?.split(';')[0]?.trim().toLowerCase();
  if (type === 'application/json') return 'json';
  if (type === 'text/xml' || type === 'application/xml') return 'xml';
  if (type !== undefined && type !== '') return undefined;
  // No Content-Type (curl -d @push.xml sends form encoding; a bare client none): look at the body.
  const first = body.toString('utf8', 0, Math.min(body.length, 64)).trimStart()[0];
  if (first === '<') return 'xml';
  return first === '{' ? 'json' : undefined;
}

/** The shape parseXml produces (strings, records, arrays of them), bounded as it bounds XML. */
function isXmlRecord(value: unknown): value is XmlRecord {
  return isObject(value) && isXmlValue(value, 1);
}

function isXmlValue(value: unknown, depth: number): boolean {
  if (typeof value === 'string') return true;
  if (depth > XML_LIMITS.maxDepth) return false;
  if (Array.isArray(value)) return (value as unknown[]).every((item) => isXmlValue(item, depth + 1));
  return isObject(value) && Object.values(value).every((item) => isXmlValue(item, depth + 1));
}

function refuse(status: number, error: string): InteractionRequest {
  return { ok: false, status, error };
}

function reason(error: unknown): string {
  return error instanceof Error ? error.message : 'unreadable push';
}

function isObject(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
