import { isIP } from 'node:net';
import type { Logger } from '@wxq/logging';
import type { RedisClient, WxqKeys } from '@wxq/redis';
import { createIpAllowlist } from './ip-allowlist.js';

// WECHAT_IP_ALLOWLIST=auto: WeChat's push addresses come from getcallbackip and change, so they are
// refreshed daily (docs/wechat-protocol.md §5.5). One gateway fetches for all: the answer is cached
// in Redis with the time it was fetched, and kept (no expiry) so that while WeChat is unreachable
// every gateway goes on with the last good list.

/** docs/wechat-protocol.md §5.5: "refresh daily". */
const REFRESH_EVERY_MS = 24 * 60 * 60 * 1000;
/** How often a gateway looks at the cache: it picks up another gateway's fetch within this. */
const CHECK_EVERY_MS = 60_000;
/** While no list is known pushes are answered 503, so look again soon (a GET: the fetch itself waits for the lock). */
const CHECK_WITHOUT_LIST_MS = 250;
/**
 * How long the fetch lock is held; never released, so after a failed fetch the next try (by any
 * gateway) comes this much later, and WeChat sees one getcallbackip a minute at most.
 */
const FETCH_LOCK_MS = 60_000;
/** WeChat answers a few dozen entries; anything far beyond is not its list. */
const MAX_ENTRIES = 10_000;

export interface CallbackIpAllowlistDeps {
  readonly redis: RedisClient;
  readonly keys: WxqKeys;
  readonly appIds: readonly string[];
  /** getcallbackip for one account (the API client's, with the shared access_token). */
  readonly fetchCallbackIps: (appId: string) => Promise<readonly string[]>;
  readonly logger: Logger;
  /** Epoch milliseconds. */
  readonly now?: () => number;
}

export interface CallbackIpAllowlist {
  /** Whether a client address is on any account's last good list; false while none is known. */
  isAllowed(ip: string | undefined): boolean;
  /** Whether a list is known yet (cached or fetched, for any account); once true, stays true. */
  isKnown(): boolean;
  /** Stops the refresh and waits for a look in progress. Idempotent. */
  stop(): Promise<void>;
}

interface CachedList {
  readonly fetchedAt: number;
  readonly ipList: readonly string[];
}

/**
 * The entries of a getcallbackip answer, checked: a non-empty list of IPv4/IPv6 addresses and CIDR
 * ranges. Returns the problem otherwise, for the log line.
 */
export function checkCallbackIpList(ipList: readonly unknown[]): { ok: true } | { ok: false; problem: string } {
  if (ipList.length === 0) return { ok: false, problem: 'the list is empty' };
  if (ipList.length > MAX_ENTRIES) return { ok: false, problem: `more than ${MAX_ENTRIES} entries` };
  const bad = ipList.filter((entry) => typeof entry !== 'string' || !isCidr(entry));
  if (bad.length > 0) return { ok: false, problem: `${bad.length} entries are not addresses or CIDR ranges` };
  return { ok: true };
}

function isCidr(entry: string): boolean {
  const [address = '', bits, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (bits === undefined) return true;
  return /^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128);
}

/** Gateways' clocks differ a little; a list "fetched" further in the future than this is refreshed. */
const MAX_CLOCK_SKEW_MS = 5 * 60_000;

function isFresh(ageMs: number): boolean {
  return ageMs > -MAX_CLOCK_SKEW_MS && ageMs < REFRESH_EVERY_MS;
}

function parseCached(raw: string | null): CachedList | undefined {
  if (raw === null) return undefined;
  try {
    const value: unknown = JSON.parse(raw);
    if (typeof value !== 'object' || value === null) return undefined;
    const { fetchedAt, ipList } = value as Record<string, unknown>;
    if (typeof fetchedAt !== 'number' || !Array.isArray(ipList) || !checkCallbackIpList(ipList).ok) return undefined;
    return { fetchedAt, ipList: ipList as string[] };
  } catch {
    return undefined;
  }
}

/**
 * Starts keeping the allow-list of WECHAT_IP_ALLOWLIST=auto: looks at the cache now and every
 * minute, and fetches getcallbackip when the cached list is a day old (one gateway at a time, under
 * a Redis lock). Never throws: failures are logged and the last good list stays.
 */
export function startCallbackIpAllowlist(deps: CallbackIpAllowlistDeps): CallbackIpAllowlist {
  const { redis, keys, logger } = deps;
  const now = deps.now ?? Date.now;
  const lists = new Map<string, readonly string[]>();
  let allowed: (ip: string | undefined) => boolean = () => false;
  let timer: NodeJS.Timeout | undefined;
  let looking: Promise<void> | undefined;
  let isStopped = false;

  function use(appId: string, list: readonly string[]): void {
    const previous = lists.get(appId);
    if (previous !== undefined && previous.join(',') === list.join(',')) return;
    lists.set(appId, list);
    allowed = createIpAllowlist([...new Set([...lists.values()].flat())]);
    logger.info({ appId, entries: list.length }, 'callback IP allow-list updated');
  }

  async function refresh(appId: string): Promise<void> {
    const cached = parseCached(await redis.get(keys.callbackIps(appId)));
    if (cached !== undefined) use(appId, cached.ipList);
    if (cached !== undefined && isFresh(now() - cached.fetchedAt)) return;
    // Another gateway is fetching, or the last try failed less than a minute ago.
    if ((await redis.set(keys.callbackIpsLock(appId), String(now()), 'PX', FETCH_LOCK_MS, 'NX')) !== 'OK') return;
    let ipList: readonly string[];
    try {
      ipList = await deps.fetchCallbackIps(appId);
    } catch (err) {
      logger.warn(
        { appId, err, keeping: cached?.ipList.length ?? 0 },
        'getcallbackip failed: keeping the last good callback IP list',
      );
      return;
    }
    const check = checkCallbackIpList(ipList);
    if (!check.ok) {
      logger.error(
        { appId, problem: check.problem, keeping: cached?.ipList.length ?? 0 },
        'getcallbackip answered a malformed list: rejected, keeping the last good one',
      );
      return;
    }
    const fresh: CachedList = { fetchedAt: now(), ipList };
    await redis.set(keys.callbackIps(appId), JSON.stringify(fresh));
    use(appId, ipList);
  }

  async function look(): Promise<void> {
    // The gateway's connection fails fast while Redis is down, and says so itself.
    if (redis.status !== 'ready') return;
    for (const appId of deps.appIds) {
      try {
        await refresh(appId);
      } catch (err) {
        logger.warn({ appId, err }, 'callback IP allow-list not refreshed (Redis)');
      }
    }
  }

  function schedule(): void {
    if (isStopped) return;
    timer = setTimeout(
      () => {
        looking = look().finally(schedule);
      },
      lists.size === 0 ? CHECK_WITHOUT_LIST_MS : CHECK_EVERY_MS,
    );
    timer.unref();
  }

  logger.info(
    'WECHAT_IP_ALLOWLIST=auto: pushes and /readyz are answered 503 until the first callback IP list is known',
  );
  looking = look().finally(schedule);

  let stopping: Promise<void> | undefined;
  return {
    isAllowed: (ip) => allowed(ip),
    isKnown: () => lists.size > 0,
    stop() {
      stopping ??= (async () => {
        isStopped = true;
        clearTimeout(timer);
        await looking;
      })();
      return stopping;
    },
  };
}
