import { randomBytes } from 'node:crypto';
import type { NotificationSend } from '@wxq/queue';
import { type RedisClient, type WxqKeys, loadScript } from '@wxq/redis';
import type { CampaignRequest } from './campaign-schema.js';
import { NotifyRequestError, claimIdempotencyKey, digest } from './idempotency.js';
import { type NotificationStatus, RECORD_TTL_MS } from './records.js';
import { sendOf } from './send-of.js';

// Campaigns (docs/notifications.md): one message to up to 100,000 recipients. Accepting one
// writes only its recipients (a list) and a hash; workers feed the recipients to the notify queue
// a batch at a time at the account's pace (campaign-feeder.ts), each recipient then a notification
// like any other, whose record's moves are counted in the campaign (lua/record-advance.lua).

// Each script's KEYS, ARGV, answer and the race it closes: the header of its file in lua/.
const CREATE = loadScript(new URL('./lua/campaign-create.lua', import.meta.url));
const TRANSITION = loadScript(new URL('./lua/campaign-transition.lua', import.meta.url));

/** Recipients pushed per command while a campaign is accepted. */
const PUSH_CHUNK = 10_000;

export type CampaignStatus = 'running' | 'paused' | 'done' | 'failed' | 'cancelled';

export interface CampaignCounts {
  readonly queued: number;
  readonly sent: number;
  readonly delivered: number;
  readonly failed: number;
  readonly refused: number;
}

/** A campaign as GET /api/v1/campaigns/:id answers it. */
export interface Campaign {
  readonly id: string;
  readonly account: string;
  readonly name?: string;
  readonly kind: NotificationSend['kind'];
  readonly templateId: string;
  readonly status: CampaignStatus;
  /** Why it is paused (`45009`, `operator`) or failed (an errcode). */
  readonly reason?: string;
  readonly total: number;
  /** How many recipients have been handed to the notify queue. */
  readonly fed: number;
  readonly createdAt: number;
  readonly counts: CampaignCounts;
}

export interface CampaignRecipient {
  readonly to: string;
  readonly id: string;
  readonly status: NotificationStatus;
  readonly errcode?: number;
  readonly reason?: string;
  readonly msgid?: string;
}

export interface RecipientPage {
  readonly recipients: readonly CampaignRecipient[];
  /** Where the next page starts; absent after the last. */
  readonly cursor?: string;
}

export interface Campaigns {
  /**
   * Accepts a campaign: its recipients stored, counted `queued`, for the workers to feed.
   * @throws NotifyRequestError for an account not served, or a key reused with another request
   */
  create(request: CampaignRequest, options?: { readonly idempotencyKey?: string }): Promise<Campaign>;
  get(id: string): Promise<Campaign | undefined>;
  /**
   * The campaign's stored status and reason only, one read: without {@link Campaigns.get}'s
   * second look at the account's 45009 pause, for a sender that reads that pause itself.
   */
  statusOf(id: string): Promise<Pick<Campaign, 'status' | 'reason'> | undefined>;
  /** The newest campaigns first, at most `limit`. */
  list(limit?: number): Promise<readonly Campaign[]>;
  /**
   * pause: running → paused; resume: paused → running (and lifts the account's 45009 pause of
   * notifications, an operator's word); cancel: running or paused → cancelled.
   * @throws NotifyRequestError `not_found`, or `conflict` from another status
   */
  control(id: string, action: 'pause' | 'resume' | 'cancel'): Promise<Campaign>;
  /** Stops a campaign WeChat refuses whole (40037, 43116): its unsent recipients are refused. */
  fail(id: string, errcode: number): Promise<void>;
  /** Per-recipient results from `cursor` on, those with `status` only when given. */
  recipients(
    id: string,
    options?: { readonly status?: NotificationStatus; readonly cursor?: string; readonly limit?: number },
  ): Promise<RecipientPage | undefined>;
}

export interface CampaignsOptions {
  readonly redis: RedisClient;
  /** The deployment's keys (shard 0's: campaigns are an account's). */
  readonly keys: WxqKeys;
  /** The accounts this deployment serves; the first is the default. */
  readonly accounts: readonly string[];
  readonly now?: () => number;
}

const TRANSITIONS = {
  pause: { to: 'paused', from: ['running'] },
  resume: { to: 'running', from: ['paused'] },
  cancel: { to: 'cancelled', from: ['running', 'paused'] },
} as const;

export function createCampaigns(options: CampaignsOptions): Campaigns {
  const { redis, keys } = options;
  const now = options.now ?? Date.now;
  const served = new Set(options.accounts);

  const get = async (id: string): Promise<Campaign | undefined> => {
    const hash = await redis.hgetall(keys.campaign(id));
    const campaign = campaignOf(hash);
    if (campaign?.status !== 'running') return campaign;
    // WeChat's daily quota (45009) holds the account's notifications: its campaigns show it.
    const until = Number(await redis.get(keys.notificationPause(campaign.account)));
    return until > now() ? { ...campaign, status: 'paused', reason: '45009' } : campaign;
  };

  return {
    get,
    async statusOf(id) {
      const [status, reason, storedId, account, kind] = await redis.hmget(
        keys.campaign(id),
        'status',
        'reason',
        'id',
        'account',
        'kind',
      );
      // No campaign where get() would see none.
      if (typeof status !== 'string' || !CAMPAIGN_STATUSES.has(status)) return undefined;
      if (typeof storedId !== 'string' || typeof account !== 'string') return undefined;
      if (kind !== 'template' && kind !== 'subscribe') return undefined;
      return {
        status: status as CampaignStatus,
        ...(typeof reason !== 'string' || (status !== 'paused' && status !== 'failed') ? {} : { reason }),
      };
    },
    async create(request, { idempotencyKey } = {}) {
      const appId = request.account ?? options.accounts[0];
      if (appId === undefined || !served.has(appId))
        throw new NotifyRequestError('unknown_account', `account ${String(appId)} is not served by this deployment`);
      const id =
        idempotencyKey === undefined
          ? `cmp_${randomBytes(16).toString('hex')}`
          : `cmp_${digest(`${appId}\0campaign\0${idempotencyKey}`).slice(0, 32)}`;
      if (idempotencyKey !== undefined)
        await claimIdempotencyKey(
          redis,
          keys.idempotency(appId, digest(`campaign\0${idempotencyKey}`)),
          { ...request, account: appId },
          id,
        );
      const existing = await get(id);
      if (existing !== undefined) return existing;

      const entries = recipientEntries(request.recipients);
      const pushed = `${keys.campaignRecipients(id)}:${randomBytes(4).toString('hex')}`;
      const pipeline = redis.pipeline();
      for (let i = 0; i < entries.length; i += PUSH_CHUNK) pipeline.rpush(pushed, ...entries.slice(i, i + PUSH_CHUNK));
      // Dropped within the hour if this process dies before the campaign is created.
      pipeline.pexpire(pushed, 3600_000);
      const results = await pipeline.exec();
      const failed = results?.find(([err]) => err !== null)?.[0];
      if (failed) throw failed;

      const send = sendOf(request);
      const createdAt = now();
      const fields: Record<string, string | number> = {
        id,
        account: appId,
        kind: send.kind,
        templateId: send.template_id,
        send: JSON.stringify(send),
        status: 'running',
        total: entries.length,
        fed: 0,
        createdAt,
        queued: entries.length,
        sent: 0,
        delivered: 0,
        failed: 0,
        refused: 0,
        ...(request.name === undefined ? {} : { name: request.name }),
      };
      await CREATE.run(
        redis,
        [keys.campaign(id), keys.campaignRecipients(id), pushed, keys.campaigns],
        [RECORD_TTL_MS, createdAt, ...Object.entries(fields).flat()],
      );
      const created = await get(id);
      if (created === undefined) throw new Error(`campaign ${id} vanished as it was created`);
      return created;
    },
    async list(limit = 50) {
      const ids = await redis.zrevrange(keys.campaigns, 0, limit - 1);
      const campaigns = await Promise.all(ids.map(get));
      return campaigns.filter((c): c is Campaign => c !== undefined);
    },
    async control(id, action) {
      const { to, from } = TRANSITIONS[action];
      const reason = action === 'pause' ? ['reason', 'operator'] : [];
      const after = await TRANSITION.run<[number, string] | null>(
        redis,
        [keys.campaign(id)],
        [to, from.length, ...from, ...reason],
      );
      if (after === null) throw new NotifyRequestError('not_found', 'no such campaign');
      if (after[0] === 0) throw new NotifyRequestError('conflict', `the campaign is ${after[1]}: cannot ${action} it`);
      const campaign = await get(id);
      if (campaign === undefined) throw new NotifyRequestError('not_found', 'no such campaign');
      if (action === 'resume') {
        await redis.del(keys.notificationPause(campaign.account));
        return { ...campaign, status: 'running' };
      }
      return campaign;
    },
    async fail(id, errcode) {
      await TRANSITION.run(redis, [keys.campaign(id)], ['failed', 2, 'running', 'paused', 'reason', String(errcode)]);
    },
    async recipients(id, { status, cursor, limit = 100 } = {}) {
      const campaign = await get(id);
      if (campaign === undefined) return undefined;
      const start = cursor === undefined ? 0 : Number(cursor);
      // A filtered page reads at most this many entries, so one request stays short however few match.
      const scan = status === undefined ? limit : Math.max(limit * 10, 1000);
      const entries = await redis.lrange(keys.campaignRecipients(id), start, start + scan - 1);
      const pipeline = redis.pipeline();
      const tos = entries.map((entry) => entry.split('\n', 1)[0] ?? '');
      for (const to of tos)
        pipeline.hmget(keys.notification(recipientId(id, to)), 'status', 'errcode', 'reason', 'msgid');
      const rows = (await pipeline.exec()) ?? [];
      const page: CampaignRecipient[] = [];
      let next = start;
      for (const [i, to] of tos.entries()) {
        if (page.length === limit) break;
        next = start + i + 1;
        const [stored, errcode, reason, msgid] = (rows[i]?.[1] ?? []) as (string | null)[];
        const recipient = {
          to,
          id: recipientId(id, to),
          ...(stored === null || stored === undefined
            ? unfedStatus(campaign, start + i)
            : {
                status: stored as NotificationStatus,
                ...(errcode === null || errcode === undefined ? {} : { errcode: Number(errcode) }),
                ...(reason === null || reason === undefined ? {} : { reason }),
                ...(msgid === null || msgid === undefined ? {} : { msgid }),
              }),
        };
        if (status === undefined || recipient.status === status) page.push(recipient);
      }
      if (tos.length > 0 && page.length < limit) next = start + tos.length;
      return next < campaign.total ? { recipients: page, cursor: String(next) } : { recipients: page };
    },
  };
}

/** The notification id of one campaign's recipient: the same on every feed, and as client_msg_id. */
export function recipientId(campaignId: string, openId: string): string {
  return `ntf_${digest(`${campaignId}\0${openId}`).slice(0, 32)}`;
}

/** A recipient without a record: not fed yet, or (a stopped campaign) never to be sent. */
function unfedStatus(campaign: Campaign, index: number): { status: NotificationStatus; reason?: string } {
  if (campaign.status === 'cancelled') return { status: 'refused', reason: 'cancelled' };
  if (campaign.status === 'failed' && index >= campaign.fed) return { status: 'refused', reason: 'campaign_failed' };
  return { status: 'queued' };
}

/** One list entry per distinct recipient, the first of repeats kept: `openid` or `openid\n<data>`. */
function recipientEntries(recipients: CampaignRequest['recipients']): string[] {
  const seen = new Set<string>();
  const entries: string[] = [];
  for (const recipient of recipients) {
    const to = typeof recipient === 'string' ? recipient : recipient.to;
    if (seen.has(to)) continue;
    seen.add(to);
    const data = typeof recipient === 'string' ? undefined : recipient.data;
    entries.push(data === undefined ? to : `${to}\n${JSON.stringify(data)}`);
  }
  return entries;
}

const CAMPAIGN_STATUSES = new Set<string>(['running', 'paused', 'done', 'failed', 'cancelled']);

function campaignOf(hash: Record<string, string>): Campaign | undefined {
  const { id, account, kind, templateId, status, total, fed, createdAt, name, reason } = hash;
  if (id === undefined || account === undefined || status === undefined || !CAMPAIGN_STATUSES.has(status))
    return undefined;
  if (kind !== 'template' && kind !== 'subscribe') return undefined;
  const count = (field: string) => Number(hash[field] ?? 0);
  return {
    id,
    account,
    ...(name === undefined ? {} : { name }),
    kind,
    templateId: templateId ?? '',
    status: status as CampaignStatus,
    ...(reason === undefined || (status !== 'paused' && status !== 'failed') ? {} : { reason }),
    total: Number(total),
    fed: Number(fed),
    createdAt: Number(createdAt),
    counts: {
      queued: count('queued'),
      sent: count('sent'),
      delivered: count('delivered'),
      failed: count('failed'),
      refused: count('refused'),
    },
  };
}
