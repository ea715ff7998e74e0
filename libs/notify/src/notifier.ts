import { randomBytes } from 'node:crypto';
import type { NotifyPayload, Producer } from '@wxq/queue';
import type { RedisClient, WxqKeys } from '@wxq/redis';
import { type NotificationRecord, type NotificationRecords, createNotificationRecords } from './records.js';
import { NotifyRequestError, claimIdempotencyKey, digest } from './idempotency.js';
import type { MessageRequest } from './request-schema.js';
import { sendOf } from './send-of.js';

// Queues notifications (docs/notifications.md): the record first, then the job, so a record
// exists for every job; an Idempotency-Key names both, so a request repeated after a timeout
// queues nothing twice, and a job that exists is never added again (its id is taken).

export interface NotifierOptions {
  readonly redis: RedisClient;
  /** The deployment's keys (shard 0's: notifications are an account's). */
  readonly keys: WxqKeys;
  readonly producer: Producer<'notify'>;
  /** The accounts this deployment serves; the first is the default. */
  readonly accounts: readonly string[];
  /** Epoch ms; injectable for tests. */
  readonly now?: () => number;
}

export interface Notifier {
  /**
   * Queues one message; answers its record (`queued`, or where a repeat with the same
   * Idempotency-Key has got to).
   * @throws NotifyRequestError for an account not served, or a key reused with another request
   */
  send(request: MessageRequest, options?: { readonly idempotencyKey?: string }): Promise<NotificationRecord>;
  get(id: string): Promise<NotificationRecord | undefined>;
  readonly records: NotificationRecords;
}

export function createNotifier(options: NotifierOptions): Notifier {
  const { redis, keys, producer } = options;
  const now = options.now ?? Date.now;
  const records = createNotificationRecords(redis, keys);
  const served = new Set(options.accounts);
  return {
    records,
    get: (id) => records.get(id),
    async send(request, { idempotencyKey } = {}) {
      const appId = request.account ?? options.accounts[0];
      if (appId === undefined || !served.has(appId))
        throw new NotifyRequestError('unknown_account', `account ${String(appId)} is not served by this deployment`);
      const send = sendOf(request);
      const id = idempotencyKey === undefined ? randomId() : keyedId(appId, idempotencyKey);
      // The account filled in: a request naming the default account is the same request as one without.
      if (idempotencyKey !== undefined)
        await claimIdempotencyKey(
          redis,
          keys.idempotency(appId, digest(idempotencyKey)),
          { ...request, account: appId },
          id,
        );
      const payload: NotifyPayload = { v: 1, appId, id, to: request.to, send, createdAt: now() };
      const record = { id, kind: send.kind, account: appId, to: request.to, templateId: send.template_id };
      const created = await records.create(record);
      // A record already there: queued again only while it is queued (its job may not have been
      // added before a crash; while the job exists, the add is a no-op by its id).
      const current = created ? undefined : await records.get(id);
      if (created || current?.status === 'queued') await producer.add(payload);
      return current ?? { ...record, status: 'queued' };
    },
  };
}

/** `ntf_` + 32 hex digits: also the send's client_msg_id (≤ 64 characters, docs/wechat-protocol.md §11.1). */
function randomId(): string {
  return `ntf_${randomBytes(16).toString('hex')}`;
}

function keyedId(appId: string, idempotencyKey: string): string {
  return `ntf_${digest(`${appId}\0${idempotencyKey}`).slice(0, 32)}`;
}
