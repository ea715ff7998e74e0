import { randomAccessToken } from '../random-ids.js';

/**
 * A classic token stays valid this long after the next one is minted (docs/wechat-protocol.md §6.1: 5 minutes
 * of overlap).
 */
const CLASSIC_OVERLAP_MS = 5 * 60_000;
/**
 * stable_token rotates this long before expiry, so a normal-mode answer has expires_in ≥ 300
 * (docs/wechat-protocol.md §6.1).
 */
const STABLE_ROTATE_BEFORE_MS = 5 * 60_000;
/** What we call well-formed; anything else is 40014 rather than 40001 (the reference gives no shape). */
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{32,512}$/;

export type TokenEndpoint = 'token' | 'stable_token';

interface IssuedToken {
  readonly access_token: string;
  readonly expires_in: number;
}

export type TokenCheck =
  | { readonly ok: true; readonly appId: string }
  | { readonly ok: false; readonly errcode: 40001 | 40014 | 41001 | 42001; readonly appId: string | null };

export type TokenMintCounts = Readonly<Record<TokenEndpoint, number>>;

interface TokenRecord {
  readonly value: string;
  readonly appId: string;
  readonly endpoint: TokenEndpoint;
  expiresAtMs: number;
  /** When a newer classic token retires this one (40001 from then on). */
  retiresAtMs: number;
  invalidated: boolean;
}

interface TokenRegistry {
  /** `/cgi-bin/token`: always a new token; the previous ones retire 5 minutes later (docs/wechat-protocol.md §6.1). */
  mintClassic(appId: string, nowMs: number): IssuedToken;
  /**
   * `/cgi-bin/stable_token`: the current token while it has ≥ 5 minutes left, unless forced
   * (docs/wechat-protocol.md §6.1).
   */
  stable(appId: string, nowMs: number, forceRefresh: boolean): IssuedToken;
  check(value: string | undefined, nowMs: number): TokenCheck;
  invalidate(appId: string): void;
  expire(appId: string, nowMs: number): void;
  mints(appId?: string): TokenMintCounts;
  clear(): void;
}

/**
 * The token state of every account, both endpoints kept apart as on the real platform
 * (docs/wechat-protocol.md §6.1).
 */
export function createTokenRegistry(ttlSeconds: number): TokenRegistry {
  const ttlMs = ttlSeconds * 1000;
  // With a short test TTL, rotating 5 minutes early would mean rotating on every call.
  const rotateBeforeMs = Math.min(STABLE_ROTATE_BEFORE_MS, ttlMs / 2);
  const byValue = new Map<string, TokenRecord>();
  const currentStable = new Map<string, TokenRecord>();
  const counts = new Map<string, Record<TokenEndpoint, number>>();

  function mint(appId: string, endpoint: TokenEndpoint, nowMs: number): TokenRecord {
    const record: TokenRecord = {
      value: randomAccessToken(),
      appId,
      endpoint,
      expiresAtMs: nowMs + ttlMs,
      retiresAtMs: Number.POSITIVE_INFINITY,
      invalidated: false,
    };
    byValue.set(record.value, record);
    const count = counts.get(appId) ?? { token: 0, stable_token: 0 };
    count[endpoint] += 1;
    counts.set(appId, count);
    return record;
  }

  function issued(record: TokenRecord, nowMs: number): IssuedToken {
    return { access_token: record.value, expires_in: Math.max(0, Math.floor((record.expiresAtMs - nowMs) / 1000)) };
  }

  function isLive(record: TokenRecord, nowMs: number): boolean {
    return !record.invalidated && nowMs < record.expiresAtMs && nowMs < record.retiresAtMs;
  }

  function tokensOf(appId: string): TokenRecord[] {
    return [...byValue.values()].filter((record) => record.appId === appId);
  }

  return {
    mintClassic(appId, nowMs) {
      for (const record of tokensOf(appId)) {
        if (record.endpoint === 'token') record.retiresAtMs = Math.min(record.retiresAtMs, nowMs + CLASSIC_OVERLAP_MS);
      }
      return issued(mint(appId, 'token', nowMs), nowMs);
    },
    stable(appId, nowMs, forceRefresh) {
      const current = currentStable.get(appId);
      if (current !== undefined && forceRefresh) current.invalidated = true;
      // Rotation leaves the old token alone: it overlaps the new one until its own expiry.
      if (
        current !== undefined &&
        !forceRefresh &&
        isLive(current, nowMs) &&
        current.expiresAtMs - nowMs >= rotateBeforeMs
      ) {
        return issued(current, nowMs);
      }
      const next = mint(appId, 'stable_token', nowMs);
      currentStable.set(appId, next);
      return issued(next, nowMs);
    },
    check(value, nowMs) {
      if (value === undefined || value === '') return { ok: false, errcode: 41001, appId: null };
      if (!TOKEN_SHAPE.test(value)) return { ok: false, errcode: 40014, appId: null };
      const record = byValue.get(value);
      if (record === undefined) return { ok: false, errcode: 40001, appId: null };
      const { appId } = record;
      if (record.invalidated) return { ok: false, errcode: 40001, appId };
      // Whichever came first: superseded ("not latest", 40001) or expired (42001).
      if (nowMs >= Math.min(record.retiresAtMs, record.expiresAtMs)) {
        return { ok: false, errcode: record.retiresAtMs < record.expiresAtMs ? 40001 : 42001, appId };
      }
      return { ok: true, appId };
    },
    invalidate(appId) {
      for (const record of tokensOf(appId)) record.invalidated = true;
    },
    expire(appId, nowMs) {
      for (const record of tokensOf(appId)) record.expiresAtMs = Math.min(record.expiresAtMs, nowMs);
    },
    mints(appId) {
      const rows = appId === undefined ? [...counts.values()] : [counts.get(appId) ?? { token: 0, stable_token: 0 }];
      return rows.reduce(
        (sum, row) => ({ token: sum.token + row.token, stable_token: sum.stable_token + row.stable_token }),
        {
          token: 0,
          stable_token: 0,
        },
      );
    },
    clear() {
      byValue.clear();
      currentStable.clear();
      counts.clear();
    },
  };
}
