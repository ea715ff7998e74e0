// The token family (docs/wechat-protocol.md §6.1, §6.3): `/cgi-bin/token` and `/cgi-bin/stable_token`,
// the account's IP whitelist, and the token check every business endpoint starts with.
import { BlockList, isIP, isIPv4, isIPv6 } from 'node:net';
import type { Accounts } from '../accounts.js';
import { ipNotWhitelistedBody } from '../errcodes.js';
import { jsonReply } from '../http-io.js';
import {
  type CheckToken,
  type Family,
  type Handled,
  type JsonBody,
  type RouteRequest,
  apiEndpoint,
  fail,
  isObject,
  jsonValue,
  ok,
} from '../routes.js';
import { type TokenMintCounts, createTokenRegistry } from '../token-registry.js';

/** Tokens live 7200 s unless told otherwise (docs/wechat-protocol.md §6.1). */
const DEFAULT_TOKEN_TTL_SECONDS = 7200;
/**
 * AppSecrets are 32 characters (docs/wechat-protocol.md §0.3): anything else is 40125, a well-formed wrong
 * one 40001 (docs/wechat-protocol.md §6.3).
 */
const APP_SECRET_SHAPE = /^[A-Za-z0-9]{32}$/;

interface TokenFamilyOptions {
  readonly accounts: Accounts;
  readonly now: () => number;
  readonly tokenTtlSeconds: number | undefined;
  readonly ipWhitelist: readonly string[] | undefined;
}

interface TokenFamily extends Family {
  readonly checkToken: CheckToken;
  /** For calls a fault answered: the account the token or appid names, as the real handler would see it. */
  readonly accountOf: (query: URLSearchParams, json: JsonBody, nowMs: number) => string | null;
  /** @throws RangeError for an account the simulator does not serve */
  readonly mints: (appId?: string) => TokenMintCounts;
  /** @throws RangeError for an account the simulator does not serve */
  readonly invalidate: (appId?: string) => void;
  /** @throws RangeError for an account the simulator does not serve */
  readonly expire: (appId?: string) => void;
}

/** @throws TypeError for a bad `tokenTtlSeconds` or a whitelist entry that is not an address or CIDR range */
export function createTokenFamily(options: TokenFamilyOptions): TokenFamily {
  const { accounts, now } = options;
  const ttlSeconds = options.tokenTtlSeconds ?? DEFAULT_TOKEN_TTL_SECONDS;
  if (!(Number.isInteger(ttlSeconds) && ttlSeconds > 0))
    throw new TypeError(`tokenTtlSeconds must be a positive integer: ${ttlSeconds}`);
  const ipWhitelist = options.ipWhitelist === undefined ? undefined : compileIpList(options.ipWhitelist);
  const tokens = createTokenRegistry(ttlSeconds);

  function checkCredentials(
    request: RouteRequest,
    grantType: unknown,
    appid: unknown,
    secret: unknown,
  ): Handled | string {
    if (grantType !== 'client_credential') return fail(40002);
    const expected = typeof appid === 'string' ? accounts.secretOf(appid) : undefined;
    if (typeof appid !== 'string' || expected === undefined) return fail(40013);
    if (ipWhitelist !== undefined && !ipWhitelist(request.clientIp)) {
      return { reply: jsonReply(ipNotWhitelistedBody(request.clientIp), 40164), appId: appid };
    }
    if (secret === expected) return appid;
    return fail(typeof secret === 'string' && APP_SECRET_SHAPE.test(secret) ? 40001 : 40125, appid);
  }

  return {
    endpoints: {
      '/cgi-bin/token': apiEndpoint('GET', (request) => {
        const { query } = request;
        const appId = checkCredentials(request, query.get('grant_type'), query.get('appid'), query.get('secret'));
        if (typeof appId !== 'string') return appId;
        return ok(tokens.mintClassic(appId, request.nowMs), appId);
      }),
      '/cgi-bin/stable_token': apiEndpoint('POST', (request) => {
        const parsed = jsonValue(request);
        if (typeof parsed === 'number') return fail(parsed);
        const body = parsed.value;
        if (!isObject(body)) return fail(47001);
        const appId = checkCredentials(request, body['grant_type'], body['appid'], body['secret']);
        if (typeof appId !== 'string') return appId;
        const forceRefresh = body['force_refresh'] ?? false;
        if (typeof forceRefresh !== 'boolean') return fail(47001, appId);
        return ok(tokens.stable(appId, request.nowMs, forceRefresh), appId);
      }),
    },
    checkToken: (token, nowMs) => tokens.check(token, nowMs),
    accountOf(query, json, nowMs) {
      const token = query.get('access_token');
      if (token !== null) return tokens.check(token, nowMs).appId;
      const appid =
        query.get('appid') ?? (json.kind === 'json' && isObject(json.value) ? json.value['appid'] : undefined);
      return typeof appid === 'string' && accounts.has(appid) ? appid : null;
    },
    mints(appId) {
      if (appId !== undefined) accounts.select(appId);
      return tokens.mints(appId);
    },
    invalidate(appId) {
      for (const id of accounts.select(appId)) tokens.invalidate(id);
    },
    expire(appId) {
      const nowMs = now();
      for (const id of accounts.select(appId)) tokens.expire(id, nowMs);
    },
    reset() {
      tokens.clear();
    },
  };
}

/** @throws TypeError for an entry that is not an address or a CIDR range */
function compileIpList(entries: readonly string[]): (ip: string) => boolean {
  const list = new BlockList();
  for (const entry of entries) {
    const [address = '', bits] = entry.split('/');
    const family = isIPv4(address) ? 'ipv4' : isIPv6(address) ? 'ipv6' : undefined;
    const prefix = Number(bits);
    if (family === undefined || (bits !== undefined && !(Number.isInteger(prefix) && prefix >= 0))) {
      throw new TypeError(`ipWhitelist: not an address or CIDR range: ${entry}`);
    }
    if (bits === undefined) list.addAddress(address, family);
    else list.addSubnet(address, prefix, family);
  }
  return (ip) => isIP(ip) !== 0 && list.check(ip, isIPv4(ip) ? 'ipv4' : 'ipv6');
}
