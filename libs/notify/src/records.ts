import { type RedisClient, type WxqKeys, loadScript } from '@wxq/redis';

// A notification's record: what GET /api/v1/messages/:id answers and what a campaign counts. One
// hash per notification under the account prefix, kept a week after its last change; the job
// itself is kept only briefly (the catalog). Statuses only move on (lua/record-advance.lua).

// Each script's KEYS, ARGV, answer and the race it closes: the header of its file in lua/.
const CREATE = loadScript(new URL('./lua/record-create.lua', import.meta.url));
const CREATE_BATCH = loadScript(new URL('./lua/records-create.lua', import.meta.url));
const STATUSES_OF = loadScript(new URL('./lua/records-status.lua', import.meta.url));
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

/** A record as it is created: `queued`, with the template it sends (how a report finds it). */
export type NewRecord = Omit<NotificationRecord, 'status'> & { readonly templateId?: string };

export interface NotificationRecords {
  /** Creates the record as `queued` unless it exists; answers whether it did. */
  create(record: NewRecord): Promise<boolean>;
  /**
   * Creates records that share everything but id and recipient (a campaign feeder's batch), each
   * unless it exists; answers how many it created.
   */
  createBatch(
    shared: Omit<NewRecord, 'id' | 'to'>,
    recipients: readonly { readonly id: string; readonly to: string }[],
  ): Promise<number>;
  get(id: string): Promise<NotificationRecord | undefined>;
  /** The record's status alone (what a send looks at first), undefined without a record. */
  statusOf(id: string): Promise<NotificationStatus | undefined>;
  /** The statuses of several records, in order, in one call (a batch's). */
  statusesOf(ids: readonly string[]): Promise<(NotificationStatus | undefined)[]>;
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
  sent(record: NewRecord & { readonly templateId: string }, msgid: string | undefined): Promise<void>;
  /**
   * The record a delivery report is about: by its msgid, else (MsgID 0, reported with
   * client_msg_id set, docs/wechat-protocol.md §11.3) the user's last send of the template, or of
   * any template for a template report (`templateId` '').
   */
  findByReport(appId: string, msgid: string, openId: string, templateId: string): Promise<string | undefined>;
}

export function createNotificationRecords(redis: RedisClient, keys: WxqKeys): NotificationRecords {
  /** record-advance.lua, pointing `indexes` at the record in the same call. */
  const move = async (
    id: string,
    status: NotificationStatus,
    detail: StatusDetail,
    campaign: string | undefined,
    indexes: readonly string[],
  ): Promise<NotificationStatus | undefined> => {
    const fields = Object.entries(detail).flatMap(([field, value]) =>
      value === undefined ? [] : [field, String(value)],
    );
    const after = await ADVANCE.run<NotificationStatus | null>(
      redis,
      [keys.notification(id), ...indexes, ...(campaign === undefined ? [] : [keys.campaign(campaign)])],
      [status, RECORD_TTL_MS, indexes.length, MSGID_TTL_MS, id, ...fields],
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
    async createBatch(shared, recipients) {
      if (recipients.length === 0) return 0;
      const fields = Object.entries({ ...shared, status: 'queued' }).flatMap(([field, value]) => [
        field,
        String(value),
      ]);
      return CREATE_BATCH.run<number>(
        redis,
        recipients.map((r) => keys.notification(r.id)),
        [RECORD_TTL_MS, fields.length / 2, ...fields, ...recipients.flatMap((r) => [r.id, r.to])],
      );
    },
    async get(id) {
      const hash = await redis.hgetall(keys.notification(id));
      return recordOf(hash);
    },
    async statusOf(id) {
      return statusOfField(await redis.hget(keys.notification(id), 'status'));
    },
    async statusesOf(ids) {
      if (ids.length === 0) return [];
      const statuses = await STATUSES_OF.run<(string | null)[]>(
        redis,
        ids.map((id) => keys.notification(id)),
        [],
      );
      return statuses.map(statusOfField);
    },
    advance: (id, status, detail = {}, campaign) => move(id, status, detail, campaign, []),
    async sent(record, msgid) {
      // The indexes in the same script as the status: a report that comes right after WeChat's
      // answer finds the record, and finds it sent.
      const indexes: string[] = [];
      if (msgid !== undefined && msgid !== '' && msgid !== '0')
        indexes.push(keys.notificationByMsgid(record.account, msgid));
      // A template report names no template (subscribe reports do): the user's last template send.
      const template = record.kind === 'template' ? '' : record.templateId;
      indexes.push(keys.notificationLast(record.account, record.to, template));
      await move(record.id, 'sent', msgid === undefined || msgid === '' ? {} : { msgid }, record.campaign, indexes);
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

function statusOfField(status: string | null | undefined): NotificationStatus | undefined {
  return typeof status === 'string' && STATUSES.has(status) ? (status as NotificationStatus) : undefined;
}

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
