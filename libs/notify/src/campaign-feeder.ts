import { randomBytes } from 'node:crypto';
import {
  NOTIFY_BATCH_MAX,
  type NotificationSend,
  type NotifyBatchPayload,
  type NotifyPayload,
  type Producer,
  notificationSendSchema,
} from '@wxq/queue';
import { type RedisClient, type WxqKeys, loadScript } from '@wxq/redis';
import { recipientId } from './campaigns.js';
import type { NotificationRecords } from './records.js';

// Feeds running campaigns' recipients to the notify queue (docs/notifications.md): every worker
// runs a feeder; a lock per campaign lets one feed it at a time. A batch is a tick's worth of the
// account's template rate, and no more is fed while two seconds' worth is still queued, so a
// campaign of 100,000 never sits in the queue whole. A template campaign fed at least
// NOTIFY_BATCH_MAX a tick goes as notify-batch jobs of that many recipients (cut at multiples of
// it, so a batch fed again is cut the same); a slower one, or a subscribe campaign (a consent
// credit per send), as a notify job per recipient. A re-fed batch (a feeder died before moving
// the position) queues nothing twice: record and job ids are the recipient's, or the batch's start.

const FED = loadScript(new URL('./lua/campaign-fed.lua', import.meta.url));
const SETTLE = loadScript(new URL('./lua/campaign-settle.lua', import.meta.url));
const RELEASE = loadScript(new URL('./lua/campaign-feed-release.lua', import.meta.url));

/** How often a feeder looks at the running campaigns. */
const TICK_MS = 200;
/**
 * A feeder's lock on one campaign: far longer than a batch takes (milliseconds), short enough that
 * a worker killed while feeding holds the campaign up for seconds only.
 */
const LOCK_MS = 5_000;
/** The most recipients fed at once (an unlimited rate): one addBulk, one round of records. */
const MAX_BATCH = 500;
/** Seconds' worth of the rate that may wait in the queue before more is fed. */
const QUEUED_SECONDS = 2;
/** Only campaigns created this recently are looked at: the index keeps a week. */
const LOOK_BACK_MS = 7 * 24 * 3600 * 1000;

export interface CampaignFeederOptions {
  readonly redis: RedisClient;
  readonly keys: WxqKeys;
  readonly records: NotificationRecords;
  readonly producer: Producer<'notify'>;
  readonly batches: Producer<'notifyBatch'>;
  /** The account's template sends per second across workers; 0: no limit. */
  readonly rateOf: (appId: string) => number;
  readonly onError: (err: unknown) => void;
  readonly tickMs?: number;
}

export interface CampaignFeeder {
  /** One pass over every running campaign; answers how many recipients it fed. */
  feed(): Promise<number>;
  /** Feeds every tick until stopped. */
  start(): void;
  stop(): Promise<void>;
}

export function createCampaignFeeder(options: CampaignFeederOptions): CampaignFeeder {
  const { redis, keys, records, producer, batches } = options;
  const tickMs = options.tickMs ?? TICK_MS;

  async function feedOne(id: string): Promise<number> {
    const [status = null, account = null, total, fed, queued, sendJson] = await redis.hmget(
      keys.campaign(id),
      'status',
      'account',
      'total',
      'fed',
      'queued',
      'send',
    );
    if (status === null || account === null || Number(fed) >= Number(total)) return 0;
    if (status !== 'running' && status !== 'cancelled' && status !== 'failed') return 0;
    // The notifications' pause (45009): what is fed would only wait.
    if (status === 'running' && Number(await redis.get(keys.notificationPause(account))) > Date.now()) return 0;
    const token = randomBytes(8).toString('hex');
    if ((await redis.set(keys.campaignFeedLock(id), token, 'PX', LOCK_MS, 'NX')) !== 'OK') return 0;
    try {
      // Stopped: its recipients not fed are refused, counted at once (under the lock, after the last feed).
      if (status !== 'running') {
        await SETTLE.run(redis, [keys.campaign(id)], []);
        return 0;
      }
      const rate = options.rateOf(account);
      const batch = rate === 0 ? MAX_BATCH : Math.min(MAX_BATCH, Math.ceil((rate * tickMs) / 1000));
      const waiting = Number(fed) - (Number(total) - Number(queued));
      const room = (rate === 0 ? MAX_BATCH * QUEUED_SECONDS : rate * QUEUED_SECONDS) - waiting;
      const base = notificationSendSchema.parse(JSON.parse(sendJson ?? 'null'));
      const start = Number(fed);
      const batched = base.kind === 'template' && batch >= NOTIFY_BATCH_MAX;
      // Whole batches a tick (30 at 150/s feeds 40: the queued room and the rate limit hold the pace).
      const tick = batched ? Math.ceil(batch / NOTIFY_BATCH_MAX) * NOTIFY_BATCH_MAX : batch;
      let end = start + Math.min(tick, room, Number(total) - start);
      // Cut at a multiple of the batch size (but the last): a re-feed from `start` cuts the same batches.
      if (batched && end < Number(total)) end -= end % NOTIFY_BATCH_MAX;
      if (end <= start) return 0;
      const entries = await redis.lrange(keys.campaignRecipients(id), start, end - 1);
      const recipients = entries.map((entry) => recipientOf(id, entry));
      await records.createBatch(
        { kind: base.kind, account, templateId: base.template_id, campaign: id },
        recipients.map(({ id: recipient, to }) => ({ id: recipient, to })),
      );
      if (base.kind === 'template' && batched) await batches.addBulk(batchesOf(id, account, base, start, recipients));
      else await producer.addBulk(recipients.map((r) => payloadOf(id, account, base, r)));
      await FED.run(redis, [keys.campaign(id)], [start + entries.length]);
      return entries.length;
    } finally {
      await RELEASE.run(redis, [keys.campaignFeedLock(id)], [token]);
    }
  }

  const feed = async (): Promise<number> => {
    // Redis away or refusing us: nothing can be fed, and commands sent meanwhile only pile up errors.
    if (redis.status !== 'ready') return 0;
    const ids = await redis.zrangebyscore(keys.campaigns, Date.now() - LOOK_BACK_MS, '+inf');
    let fed = 0;
    for (const id of ids) fed += await feedOne(id);
    return fed;
  };

  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();
  let stopped = false;
  const tick = () => {
    running = feed()
      .catch(options.onError)
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, tickMs);
      });
  };
  return {
    feed,
    start() {
      stopped = false;
      timer = setTimeout(tick, tickMs);
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}

interface Recipient {
  readonly id: string;
  readonly to: string;
  /** Its own data, merged over the campaign's when sent. */
  readonly data: NotificationSend['data'] | undefined;
}

/** A recipients list entry: `openid`, or `openid\n<its data as JSON>`. */
function recipientOf(campaignId: string, entry: string): Recipient {
  const newline = entry.indexOf('\n');
  const to = newline === -1 ? entry : entry.slice(0, newline);
  const data = newline === -1 ? undefined : (JSON.parse(entry.slice(newline + 1)) as NotificationSend['data']);
  return { id: recipientId(campaignId, to), to, data };
}

/** One recipient's notification: its data merged over the campaign's. */
function payloadOf(campaignId: string, appId: string, base: NotificationSend, recipient: Recipient): NotifyPayload {
  const { id, to, data } = recipient;
  const send = data === undefined ? base : { ...base, data: { ...base.data, ...data } };
  return { v: 1, appId, id, to, send, createdAt: Date.now(), campaignId };
}

/** The notify-batch jobs of recipients fed from `start`, cut at multiples of NOTIFY_BATCH_MAX. */
function batchesOf(
  campaignId: string,
  appId: string,
  send: NotifyBatchPayload['send'],
  start: number,
  recipients: readonly Recipient[],
): NotifyBatchPayload[] {
  const payloads: NotifyBatchPayload[] = [];
  let at = 0;
  while (at < recipients.length) {
    const position = start + at;
    const next = Math.min(recipients.length, at + NOTIFY_BATCH_MAX - (position % NOTIFY_BATCH_MAX));
    const members = recipients
      .slice(at, next)
      .map(({ id, to, data }) => (data === undefined ? { id, to } : { id, to, data }));
    payloads.push({ v: 1, appId, campaignId, start: position, send, recipients: members, createdAt: Date.now() });
    at = next;
  }
  return payloads;
}
