import { createHash, randomBytes } from 'node:crypto';
import { type NotificationSend, type NotifyPayload, type Producer } from '@wxq/queue';
import type { RedisClient, WxqKeys } from '@wxq/redis';
import { type NotificationRecord, type NotificationRecords, createNotificationRecords } from './records.js';
import type { MessageRequest } from './request-schema.js';

// Queues notifications (docs/notifications.md): the record first, then the job, so a record
// exists for every job; an Idempotency-Key names both, so a request repeated after a timeout
// queues nothing twice, and a job that exists is never added again (its id is taken).

/** How long an Idempotency-Key is remembered: a client retrying a day later makes a new message. */
const IDEMPOTENCY_TTL_MS = 24 * 3600 * 1000;

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

/** Why a request was not queued, as the API maps it to a status. */
export class NotifyRequestError extends Error {
  override name = 'NotifyRequestError' as const;
  constructor(
    readonly code: 'unknown_account' | 'idempotency_conflict',
    message: string,
  ) {
    super(message);
  }
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
        await claimKey(redis, keys, appId, idempotencyKey, { ...request, account: appId }, id);
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

/** The request in WeChat's field names, as the worker sends it. */
function sendOf(request: MessageRequest): NotificationSend {
  if (request.template !== undefined) {
    const { id, data, url, miniprogram } = request.template;
    return {
      kind: 'template',
      template_id: id,
      data,
      ...(url === undefined ? {} : { url }),
      ...(miniprogram === undefined ? {} : { miniprogram }),
    };
  }
  if (request.subscribe !== undefined) {
    const { id, data, page, miniprogram } = request.subscribe;
    return {
      kind: 'subscribe',
      template_id: id,
      data,
      ...(page === undefined ? {} : { page }),
      ...(miniprogram === undefined ? {} : { miniprogram }),
    };
  }
  throw new TypeError('a message request holds a template or a subscribe notification');
}

/** `ntf_` + 32 hex digits: also the send's client_msg_id (≤ 64 characters, docs/wechat-protocol.md §11.1). */
function randomId(): string {
  return `ntf_${randomBytes(16).toString('hex')}`;
}

function keyedId(appId: string, idempotencyKey: string): string {
  return `ntf_${digest(`${appId}\0${idempotencyKey}`).slice(0, 32)}`;
}

/**
 * Remembers the key with the request's digest; the same key with another request is a conflict.
 * The digest covers the request as parsed, so key order and spacing in the JSON do not matter.
 */
async function claimKey(
  redis: RedisClient,
  keys: WxqKeys,
  appId: string,
  idempotencyKey: string,
  request: MessageRequest,
  id: string,
): Promise<void> {
  const key = keys.idempotency(appId, digest(idempotencyKey));
  const claim = `${digest(canonical(request))} ${id}`;
  const set = await redis.set(key, claim, 'PX', IDEMPOTENCY_TTL_MS, 'NX');
  if (set === 'OK') return;
  const held = await redis.get(key);
  // Expired between the two calls: the key is free again, and this request takes it.
  if (held === null) return claimKey(redis, keys, appId, idempotencyKey, request, id);
  if (held !== claim)
    throw new NotifyRequestError('idempotency_conflict', 'this Idempotency-Key was used with another request');
}

function digest(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** JSON with every object's keys sorted. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object')
    return `{${Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`)
      .join(',')}}`;
  return JSON.stringify(value);
}
