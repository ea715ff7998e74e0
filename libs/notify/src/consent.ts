import { type RedisClient, type WxqKeys, loadScript } from '@wxq/redis';

// Subscribe-notification consent (docs/notifications.md, docs/wechat-protocol.md §12.1): each
// `accept` in a popup gives the (account, user, template) one credit, a reject clears it, a send
// uses one. One hash per user: template id -> credits.

// Each script's KEYS, ARGV, answer and the race it closes: the header of its file in lua/.
const TAKE = loadScript(new URL('./lua/consent-take.lua', import.meta.url));
const APPLY = loadScript(new URL('./lua/consent-apply.lua', import.meta.url));

/** WeChat states no end to a one-time consent: a user's hash is dropped a year after its last accept. */
const CONSENT_TTL_MS = 366 * 24 * 3600 * 1000;

/** One template's change in a popup or settings push. */
export interface ConsentChange {
  readonly templateId: string;
  readonly accepted: boolean;
}

export interface ConsentLedger {
  /**
   * A push's changes, in order, once per push however often its job runs (`pushId`: its job id,
   * marked for `markerTtlMs`); answers whether they were applied now.
   */
  apply(
    appId: string,
    openId: string,
    pushId: string,
    changes: readonly ConsentChange[],
    markerTtlMs: number,
  ): Promise<boolean>;
  /** One more credit for each template (what an accept gives; also a test's or an operator's grant). */
  accept(appId: string, openId: string, templateIds: readonly string[]): Promise<void>;
  /** No credit left for each template (WeChat answered 43101). */
  reject(appId: string, openId: string, templateIds: readonly string[]): Promise<void>;
  /** Takes a credit; answers whether there was one. */
  take(appId: string, openId: string, templateId: string): Promise<boolean>;
  /** Gives back a credit taken for a send WeChat refused without sending (not on 43101). */
  giveBack(appId: string, openId: string, templateId: string): Promise<void>;
  /** The credits per template. */
  credits(appId: string, openId: string): Promise<Readonly<Record<string, number>>>;
}

export function createConsentLedger(redis: RedisClient, keys: WxqKeys): ConsentLedger {
  const add = async (appId: string, openId: string, templateIds: readonly string[]) => {
    if (templateIds.length === 0) return;
    const key = keys.consent(appId, openId);
    const multi = redis.multi();
    for (const templateId of templateIds) multi.hincrby(key, templateId, 1);
    multi.pexpire(key, CONSENT_TTL_MS);
    await multi.exec();
  };
  return {
    async apply(appId, openId, pushId, changes, markerTtlMs) {
      if (changes.length === 0) return false;
      const args = changes.flatMap((c) => [c.templateId, c.accepted ? 'accept' : 'reject']);
      const applied = await APPLY.run<number>(
        redis,
        [keys.consent(appId, openId), keys.consentApplied(pushId)],
        [CONSENT_TTL_MS, markerTtlMs, ...args],
      );
      return applied === 1;
    },
    accept: add,
    async reject(appId, openId, templateIds) {
      if (templateIds.length > 0) await redis.hdel(keys.consent(appId, openId), ...templateIds);
    },
    async take(appId, openId, templateId) {
      return (await TAKE.run<number>(redis, [keys.consent(appId, openId)], [templateId])) === 1;
    },
    giveBack: (appId, openId, templateId) => add(appId, openId, [templateId]),
    async credits(appId, openId) {
      const hash = await redis.hgetall(keys.consent(appId, openId));
      return Object.fromEntries(Object.entries(hash).map(([templateId, n]) => [templateId, Number(n)]));
    },
  };
}
