/**
 * WeChat's daily API quotas (45009) reset at midnight Beijing time, UTC+8 (docs/wechat-protocol.md
 * §7.5 for customer-service sends, §11.1 for template messages, §12.2 for subscribe notifications).
 */
const BEIJING_OFFSET_MS = 8 * 3600 * 1000;
const DAY_MS = 24 * 3600 * 1000;

/** Successful calls per account and Beijing day, on the caller's clock. */
export interface DailyQuota {
  /** Whether the account has no call left today (never, without a limit). */
  isSpent(appId: string, nowMs: number): boolean;
  /** Counts one call of the account today. */
  spend(appId: string, nowMs: number): void;
  clear(): void;
}

/**
 * `limit` successful calls per account per Beijing day; undefined for no limit.
 * @throws TypeError, naming `optionName`, for a limit that is not a whole number ≥ 0
 */
export function createDailyQuota(limit: number | undefined, optionName: string): DailyQuota {
  if (limit !== undefined && !(Number.isSafeInteger(limit) && limit >= 0)) {
    throw new TypeError(`${optionName} must be a whole number ≥ 0: ${limit}`);
  }
  const daily = new Map<string, { day: number; calls: number }>();

  function today(appId: string, nowMs: number): { day: number; calls: number } {
    const day = Math.floor((nowMs + BEIJING_OFFSET_MS) / DAY_MS);
    let count = daily.get(appId);
    if (count?.day !== day) {
      count = { day, calls: 0 };
      daily.set(appId, count);
    }
    return count;
  }

  return {
    isSpent: (appId, nowMs) => limit !== undefined && today(appId, nowMs).calls >= limit,
    spend(appId, nowMs) {
      if (limit !== undefined) today(appId, nowMs).calls += 1;
    },
    clear() {
      daily.clear();
    },
  };
}
