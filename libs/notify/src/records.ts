import { type RedisClient, type WxqKeys, loadScript } from '@wxq/redis';

// A notification's record: what GET /api/v1/messages/:id answers and what a campaign counts. One
// hash per notification under the account prefix, kept a week after its last change; the job
// itself is kept only briefly (the catalog). Statuses only move on (lua/record-advance.lua).

// Each script's KEYS, ARGV, answer and the race it closes: the header of its file in lua/.
const CREATE = loadScript(new URL('./lua/record-create.lua', import.meta.url));
const ADVANCE = loadScript(new URL('./lua/record-advance.lua', import.meta.url));

/** How long a record is kept after its last change. */
export const RECORD_TTL_MS = 7 * 24 * 3600 * 1000;
/** How long a send's msgid finds its record: WeChat's report comes seconds later. */
const MSGID_TTL_MS = 24 * 3600 * 1000;

/** What a notification is: a customer-service message sent through the API is one too. */
export type NotificationKind = 'template' | 'subscribe' | 'customerService';

/**
 * `queued` → `sent` (WeChat answered 0) → `delivered` | `failed` (its report for that msgid);
 * `refused`: refused for good by WeChat, or not attempted by wxq (the reason says why).
 */
export type NotificationStatus = 'queued' | 'sent' | 'delivered' | 'failed' | 'refused';

/** A notification as GET /api/v1/messages/:id answers it. */
export interface NotificationRecord {
  readonly id: string;
  readonly kind: NotificationKind;
  readonly account: string;
  readonly to: string;
  readonly status: NotificationStatus;
  readonly errcode?: number;
  readonly reason?: string;
  readonly msgid?: string;
  readonly campaign?: string;
}

/** What a status change writes besides the status. */
export interface StatusDetail {
  readonly errcode?: number;
  readonly reason?: string;
  readonly msgid?: string;
}

export interface NotificationRecords {
  /** Creates the record as `queued` unless it exists; answers whether it did. */
  create(record: Omit<NotificationRecord, 'status'> & { readonly templateId?: string }): Promise<boolean>;
  get(id: string): Promise<NotificationRecord | undefined>;
  /**
   * Moves the record on (never back), counting the move in its campaign when `campaign` names it;
   * answers its status after the call, undefined without a record.
   */
  advance(
    id: string,
    status: NotificationStatus,
    detail?: StatusDetail,
    campaign?: string,
  ): Promise<NotificationStatus | undefined>;
  /** Sent with `msgid`: its report will find the record by it, or by (user, template) when WeChat reports MsgID 0. */
  sent(record: NotificationRecord & { readonly templateId: string }, msgid: string | undefined): Promise<void>;
  /**
   * The record a delivery report is about: by its msgid, else (MsgID 0, reported with
   * client_msg_id set, docs/wechat-protocol.md §11.3) the user's last send of the template, or of
   * any template for a template report (`templateId` '').
   */
  findByReport(appId: string, msgid: string, openId: string, templateId: string): Promise<string | undefined>;
}

export function createNotificationRecords(redis: RedisClient, keys: WxqKeys): NotificationRecords {
  const advance: NotificationRecords['advance'] = async (id, status, detail = {}, campaign) => {
    const fields = Object.entries(detail).flatMap(([field, value]) =>
      value === undefined ? [] : [field, String(value)],
    );
    const after = await ADVANCE.run<NotificationStatus | null>(
      redis,
      campaign === undefined ? [keys.notification(id)] : [keys.notification(id), keys.campaign(campaign)],
      [status, RECORD_TTL_MS, ...fields],
    );
    return after ?? undefined;
  };
  return {
    async create(record) {
      const fields = Object.entries({ ...record, status: 'queued' }).flatMap(([field, value]) => [
        field,
        String(value),
      ]);
      return (await CREATE.run<number>(redis, [keys.notification(record.id)], [RECORD_TTL_MS, ...fields])) === 1;
    },
    async get(id) {
      const hash = await redis.hgetall(keys.notification(id));
      return recordOf(hash);
    },
    advance,
    async sent(record, msgid) {
      // The indexes before the status, so a report that comes right after WeChat's answer finds
      // the record: one connection runs its commands in the order sent, and called in one turn
      // they go in one round trip on an autopipelined client (the worker's `commands`).
      const writes: Promise<unknown>[] = [];
      if (msgid !== undefined && msgid !== '' && msgid !== '0')
        writes.push(redis.set(keys.notificationByMsgid(record.account, msgid), record.id, 'PX', MSGID_TTL_MS));
      // A template report names no template (subscribe reports do): the user's last template send.
      const template = record.kind === 'template' ? '' : record.templateId;
      writes.push(redis.set(keys.notificationLast(record.account, record.to, template), record.id, 'PX', MSGID_TTL_MS));
      writes.push(advance(record.id, 'sent', msgid === undefined || msgid === '' ? {} : { msgid }, record.campaign));
      await Promise.all(writes);
    },
    async findByReport(appId, msgid, openId, templateId) {
      if (msgid !== '0') {
        const id = await redis.get(keys.notificationByMsgid(appId, msgid));
        if (id !== null) return id;
      }
      return (await redis.get(keys.notificationLast(appId, openId, templateId))) ?? undefined;
    },
  };
}

const STATUSES = new Set<string>(['queued', 'sent', 'delivered', 'failed', 'refused']);
const KINDS = new Set<string>(['template', 'subscribe', 'customerService']);

function recordOf(hash: Record<string, string>): NotificationRecord | undefined {
  const { id, kind, account, to, status, errcode, reason, msgid, campaign } = hash;
  if (id === undefined || account === undefined || to === undefined || status === undefined) return undefined;
  if (kind === undefined || !KINDS.has(kind) || !STATUSES.has(status)) return undefined;
  return {
    id,
    kind: kind as NotificationKind,
    account,
    to,
    status: status as NotificationStatus,
    ...(errcode === undefined ? {} : { errcode: Number(errcode) }),
    ...(reason === undefined ? {} : { reason }),
    ...(msgid === undefined ? {} : { msgid }),
    ...(campaign === undefined ? {} : { campaign }),
  };
}
