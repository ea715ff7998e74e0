/**
 * The names of every Redis key wxq writes itself; BullMQ names its own (`queue.toKey`). All sit
 * under the deployment's prefix (WXQ_QUEUE_PREFIX, a `{hash tag}`), so two deployments or two test
 * suites sharing one Redis never share a counter, and on a Cluster they live in the prefix's slot.
 * With queue shards (docs/shards.md) a user's keys sit under their shard's prefix, next to the
 * shard's queues, and an account's under the deployment's prefix (shard 0's).
 * Key formats are wire contracts with running workers: change one only with a migration note.
 */
export interface WxqKeys {
  /** The prefix of this shard's queues and of the user keys below. */
  readonly prefix: string;
  /** An account's cached access_token. */
  readonly accessToken: (appId: string) => string;
  /** The lock held by the one process refreshing an account's access_token. */
  readonly tokenLock: (appId: string) => string;
  /** The last good getcallbackip answer for an account, with when it was fetched (WECHAT_IP_ALLOWLIST=auto). */
  readonly callbackIps: (appId: string) => string;
  /** Held by the one gateway fetching an account's getcallbackip, and after a failure until the next try. */
  readonly callbackIpsLock: (appId: string) => string;
  /** An account's customer-service sends within one epoch second (SEND_RATE_LIMIT_PER_SECOND). */
  readonly sendRate: (appId: string, epochSecond: number) => string;
  /** One user's handled messages within one window (the perUserRateLimit middleware). */
  readonly userRate: (appId: string, openId: string, window: number) => string;
  /** One user's ordering lane on one queue: the jobs that must run one at a time, in order (docs/ordering.md). */
  readonly lane: (queue: string, appId: string, openId: string) => string;
  /** One user's customer-service quota windows and typing state (docs/quota.md). */
  readonly quota: (appId: string, openId: string) => string;
  /** Until when an account's sends are paused (45009 daily quota, 45011 per-minute limit, an operator's pause). */
  readonly sendPause: (appId: string) => string;
  /**
   * An account's counters of what the worker held back or paused (a hash; docs/quota.md): this
   * shard's share, since a passive-only script counts next to a user's outbox. Readers sum shards.
   */
  readonly sendCounters: (appId: string) => string;
  /** Passive replies (docs/passive-replies.md): one push's deliveries and the reply it answers with (a hash). */
  readonly passive: (pushJobId: string) => string;
  /** How many of one push's replies the worker sent itself, without an outbound job (docs/ordering.md). */
  readonly repliesSent: (pushJobId: string) => string;
  /** passive-only: one user's replies waiting for a push to answer (a list, oldest first). */
  readonly outbox: (appId: string, openId: string) => string;
  /** The channel that wakes gateways holding a push when its reply (or its user's) is ready. */
  readonly passiveChannel: string;
  /** A key of the user's own handlers (sessions, counters), under `handler:`. */
  readonly handler: (...parts: readonly string[]) => string;
  /** Failed admin logins (Bull Board's basic auth) from one client address, in a row; it locks the address out. */
  readonly adminLoginFailures: (address: string) => string;
  /** One notification's record (a hash: kind, account, recipient, status, errcode, msgid; docs/notifications.md). */
  readonly notification: (id: string) => string;
  /** The notification a template or subscribe send's msgid belongs to: how its delivery report finds it. */
  readonly notificationByMsgid: (appId: string, msgid: string) => string;
  /**
   * The last notification of one template to one user (of any template: ''): matches a report whose
   * MsgID is 0 (docs/wechat-protocol.md §11.3).
   */
  readonly notificationLast: (appId: string, openId: string, templateId: string) => string;
  /** An Idempotency-Key's request (its body's digest) and the notification it made. */
  readonly idempotency: (appId: string, keyDigest: string) => string;
  /** One user's subscribe-notification consent: a credit count per template (a hash). */
  readonly consent: (appId: string, openId: string) => string;
  /** Marks that one push's consent changes were applied (a re-run of its job applies none again). */
  readonly consentApplied: (pushJobId: string) => string;
  /** Until when an account's template and subscribe sends are paused (45009 on them, an operator's pause). */
  readonly notificationPause: (appId: string) => string;
  /** An account's template and subscribe sends within one epoch second (WXQ_TEMPLATE_RATE). */
  readonly notificationRate: (appId: string, epochSecond: number) => string;
  /** One campaign (a hash: its message, status, how far it is fed, counts by status; docs/notifications.md). */
  readonly campaign: (id: string) => string;
  /** One campaign's recipients in order (a list: `openid` or `openid\n<its data as JSON>`). */
  readonly campaignRecipients: (id: string) => string;
  /** Every campaign of the last week, by when it was created (a sorted set). */
  readonly campaigns: string;
  /** Held by the one worker feeding a campaign's next recipients to the notify queue. */
  readonly campaignFeedLock: (id: string) => string;
}

/**
 * The key names of the shard whose queues are under `prefix`; an account's keys (its token, send
 * pause, send rate, callback IPs, the passive channel, handler keys) under `accountPrefix`, the
 * deployment's WXQ_QUEUE_PREFIX. With one shard both are that prefix.
 */
export function createKeys(prefix: string, accountPrefix = prefix): WxqKeys {
  const account = accountPrefix;
  return {
    prefix,
    // The {appId} inner braces are not a second hash tag: Redis hashes on the first `{...}`, the prefix.
    accessToken: (appId) => `${account}:{${appId}}:access_token`,
    tokenLock: (appId) => `${account}:{${appId}}:token_lock`,
    callbackIps: (appId) => `${account}:{${appId}}:callback_ips`,
    callbackIpsLock: (appId) => `${account}:{${appId}}:callback_ips_lock`,
    sendRate: (appId, epochSecond) => `${account}:rate:${appId}:${epochSecond}`,
    userRate: (appId, openId, window) => `${prefix}:ratelimit:${appId}:${openId}:${window}`,
    quota: (appId, openId) => `${prefix}:quota:${appId}:${openId}`,
    sendPause: (appId) => `${account}:pause:${appId}`,
    sendCounters: (appId) => `${prefix}:counters:${appId}`,
    lane: (queue, appId, openId) => `${prefix}:lane:${queue}:${appId}:${openId}`,
    passive: (pushJobId) => `${prefix}:passive:${pushJobId}`,
    repliesSent: (pushJobId) => `${prefix}:sent:${pushJobId}`,
    outbox: (appId, openId) => `${prefix}:outbox:${appId}:${openId}`,
    passiveChannel: `${account}:passive`,
    handler: (...parts) => [`${account}:handler`, ...parts].join(':'),
    adminLoginFailures: (address) => `${account}:admin_login_failures:${address}`,
    // Notifications are an account's, not a user's: under the account prefix, next to the notify queue.
    notification: (id) => `${account}:ntf:${id}`,
    notificationByMsgid: (appId, msgid) => `${account}:ntf_msgid:${appId}:${msgid}`,
    notificationLast: (appId, openId, templateId) => `${account}:ntf_last:${appId}:${openId}:${templateId}`,
    idempotency: (appId, keyDigest) => `${account}:idem:${appId}:${keyDigest}`,
    consent: (appId, openId) => `${account}:consent:${appId}:${openId}`,
    consentApplied: (pushJobId) => `${account}:consent_applied:${pushJobId}`,
    notificationPause: (appId) => `${account}:ntf_pause:${appId}`,
    notificationRate: (appId, epochSecond) => `${account}:ntf_rate:${appId}:${epochSecond}`,
    campaign: (id) => `${account}:cmp:${id}`,
    campaignRecipients: (id) => `${account}:cmp_to:${id}`,
    campaigns: `${account}:cmps`,
    campaignFeedLock: (id) => `${account}:cmp_feed:${id}`,
  };
}
