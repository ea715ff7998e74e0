import { randomBytes } from 'node:crypto';
import { type Lanes, type OutboundPayload, type Producer, QUEUES, laneScore } from '@wxq/queue';
import type { PerShard, QueueShards, RedisClient, WxqKeys } from '@wxq/redis';
import type { CustomMessage } from '@wxq/wechat';
import { type NotificationRecord, type NotificationRecords, createNotificationRecords } from './records.js';
import { NotifyRequestError, claimIdempotencyKey, digest } from './idempotency.js';
import type { MessageRequest } from './request-schema.js';
import { sendOf } from './send-of.js';

// Queues notifications (docs/notifications.md): the record first, then the job, so a record
// exists for every job; an Idempotency-Key names both, so a request repeated after a timeout
// queues nothing twice, and a job that exists is never added again (its id is taken). A
// customer-service message is a reply without a push: an outbound job in the user's lane, so it
// keeps the user's order and spends their quota as a handler's reply does.

export interface NotifierOptions {
  readonly redis: RedisClient;
  /** The deployment's keys (shard 0's: notifications are an account's). */
  readonly keys: WxqKeys;
  readonly producer: Producer<'notify'>;
  /** Customer-service messages: each shard's outbound queue and, with WXQ_ORDERING, its lanes. */
  readonly customerService: {
    readonly shards: QueueShards;
    readonly outbound: PerShard<Producer<'outbound'>>;
    readonly lanes: PerShard<Lanes> | undefined;
  };
  /** The accounts this deployment serves; the first is the default. */
  readonly accounts: readonly string[];
  /** Epoch ms; injectable for tests. */
  readonly now?: () => number;
}

export interface SendOptions {
  /** The caller's Idempotency-Key: a repeat with it answers the first one's record. */
  readonly idempotencyKey?: string;
  /**
   * The notification's id, chosen by a caller that makes it the same on every repeat (a handler's
   * n-th notification of a push): the record is the idempotency, no key is claimed.
   */
  readonly id?: string;
}

export interface Notifier {
  /**
   * Queues one message; answers its record (`queued`, or where a repeat with the same
   * Idempotency-Key has got to).
   * @throws NotifyRequestError for an account not served, or a key reused with another request
   */
  send(request: MessageRequest, options?: SendOptions): Promise<NotificationRecord>;
  get(id: string): Promise<NotificationRecord | undefined>;
  readonly records: NotificationRecords;
}

export function createNotifier(options: NotifierOptions): Notifier {
  const { redis, keys, producer } = options;
  const now = options.now ?? Date.now;
  const records = createNotificationRecords(redis, keys);
  const served = new Set(options.accounts);
  const { shards, outbound, lanes } = options.customerService;

  /** Into the user's lane first, then the job: a lane member without its job yet waits for it (docs/ordering.md). */
  const queueCustomerService = async (message: CustomMessage, appId: string, id: string) => {
    const payload: OutboundPayload = {
      v: 1,
      appId,
      // Its own conversation turn: no push's, so no push's dedup key.
      dedupKey: `api:${id}`,
      replyIndex: 0,
      receivedAt: now(),
      reply: { kind: 'message', message },
      notification: id,
    };
    const shard = shards.indexOf(appId, message.touser);
    const lane = shards.at(shard).keys.lane(QUEUES.outbound.name, appId, message.touser);
    await lanes?.at(shard).enter(lane, [[QUEUES.outbound.jobId(payload), laneScore(payload.receivedAt ?? 0)]]);
    await outbound.at(shard).add(payload);
  };
  return {
    records,
    get: (id) => records.get(id),
    async send(request, { idempotencyKey, id: chosenId } = {}) {
      const appId = request.account ?? options.accounts[0];
      if (appId === undefined || !served.has(appId))
        throw new NotifyRequestError('unknown_account', `account ${String(appId)} is not served by this deployment`);
      const id = chosenId ?? (idempotencyKey === undefined ? randomId() : keyedId(appId, idempotencyKey));
      // The account filled in: a request naming the default account is the same request as one without.
      if (idempotencyKey !== undefined && chosenId === undefined)
        await claimIdempotencyKey(
          redis,
          keys.idempotency(appId, digest(idempotencyKey)),
          { ...request, account: appId },
          id,
        );
      const { customerService: body } = request;
      const send = body === undefined ? sendOf(request) : undefined;
      const record = {
        id,
        kind: send?.kind ?? 'customerService',
        account: appId,
        to: request.to,
        ...(send === undefined ? {} : { templateId: send.template_id }),
      } as const;
      const created = await records.create(record);
      // A record already there: queued again only while it is queued (its job may not have been
      // added before a crash; while the job exists, the add is a no-op by its id).
      const current = created ? undefined : await records.get(id);
      if (created || current?.status === 'queued') {
        if (send !== undefined) await producer.add({ v: 1, appId, id, to: request.to, send, createdAt: now() });
        else if (body !== undefined) await queueCustomerService({ ...body, touser: request.to }, appId, id);
      }
      return current ?? { ...record, status: 'queued' };
    },
  };
}

/** `ntf_` + 32 hex digits: also the send's client_msg_id (≤ 64 characters, docs/wechat-protocol.md §11.1). */
function randomId(): string {
  return `ntf_${randomBytes(16).toString('hex')}`;
}

/**
 * The id of a push's n-th notification (`ctx.notify`): the same on every run of the push's job,
 * so a re-run finds the records it made and queues nothing twice.
 */
export function pushNotificationId(pushJobId: string, index: number): string {
  return `ntf_${digest(`${pushJobId}\0${String(index)}`).slice(0, 32)}`;
}

function keyedId(appId: string, idempotencyKey: string): string {
  return `ntf_${digest(`${appId}\0${idempotencyKey}`).slice(0, 32)}`;
}
