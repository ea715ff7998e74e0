import { z } from 'zod';
import { type ApiConfig, apiEnvSchema, toApiConfig } from './api-config.js';
import { type AppConfig, appEnvSchema, deepFreeze, toAppConfig } from './app-config.js';
import { ConfigError } from './config-error.js';
import { list, nonNegativeInt, optionalString, port, positiveInt } from './env-schema.js';
import { parseEnvironment } from './parse-environment.js';

/** WeChat waits 5 s for an answer (docs/wechat-protocol.md §5.1): the enqueue deadline must leave time to reply. */
const WECHAT_ANSWER_MS = 5_000;
/** The longest passive wait: the answer still has to travel back before WeChat's 5 s. */
const MAX_PASSIVE_WAIT_MS = 4_500;

const gatewayEnvSchema = z
  .object({
    HOST: z.string().default('0.0.0.0'),
    PORT: port(3000),
    ADMIN_HOST: z.string().default('127.0.0.1'),
    ADMIN_PORT: port(3001),
    ADMIN_USER: z.string().min(1).default('admin'),
    ADMIN_PASSWORD: optionalString,
    // Bull Board builds its links and asset URLs from this path, so it must be the path the browser
    // sees: behind a reverse proxy, the public one (deploy/nginx.conf serves it unchanged under /admin/).
    ADMIN_BASE_PATH: optionalString.transform((path) => path ?? '/admin/queues').superRefine(checkBasePath),
    // Express compiles this at start-up and throws on anything else (`yes` included).
    TRUST_PROXY: z.string().default('false').refine(isTrustProxy, {
      message:
        'expected true, false, a hop count, or comma-separated addresses, CIDRs, loopback, linklocal, uniquelocal',
    }),
    // `auto`: WeChat's own list, from getcallbackip (docs/wechat-protocol.md §5.5), refreshed daily.
    WECHAT_IP_ALLOWLIST: list.superRefine((cidrs, ctx) => {
      if (cidrs.includes(AUTO) && cidrs.length > 1) {
        ctx.addIssue({ code: 'custom', message: `${AUTO} stands alone: either auto or a list of addresses` });
        return;
      }
      for (const cidr of cidrs.filter((c) => c !== AUTO && !isCidr(c))) {
        ctx.addIssue({ code: 'custom', message: `${cidr} is not an IPv4/IPv6 address or CIDR, nor auto` });
      }
    }),
    MAX_BODY_BYTES: positiveInt(1024 * 1024),
    ENQUEUE_TIMEOUT_MS: positiveInt(3_000).refine((ms) => ms < WECHAT_ANSWER_MS, {
      message: `must be under ${WECHAT_ANSWER_MS} ms, WeChat's answer deadline`,
    }),
    DEDUP_WINDOW_SECONDS: positiveInt(600),
    /** Passive modes: how long after a push arrives the gateway waits for its reply (docs/passive-replies.md). */
    PASSIVE_WAIT_MS: positiveInt(4_000).refine((ms) => ms <= MAX_PASSIVE_WAIT_MS, {
      message: `at most ${MAX_PASSIVE_WAIT_MS} ms: the answer must reach WeChat within its 5 s`,
    }),
    TIMESTAMP_SKEW_SECONDS: nonNegativeInt(300),
    SHUTDOWN_TIMEOUT_MS: positiveInt(10_000),
  })
  .extend(apiEnvSchema.shape)
  .extend(appEnvSchema.shape);

const AUTO = 'auto';

/** Who may push: everyone (an empty list), the operator's addresses, or WeChat's published ones. */
export type IpAllowlistConfig =
  { readonly mode: 'static'; readonly cidrs: readonly string[] } | { readonly mode: 'auto' };

export interface GatewayConfig extends AppConfig {
  readonly http: {
    readonly host: string;
    readonly port: number;
    readonly maxBodyBytes: number;
    readonly trustProxy: boolean | number | string;
  };
  readonly admin: {
    readonly host: string;
    readonly port: number;
    readonly user: string;
    readonly password?: string | undefined;
    /** Where Bull Board is served, e.g. `/admin/queues`: no trailing slash. */
    readonly basePath: string;
  };
  readonly ipAllowlist: IpAllowlistConfig;
  /** For WECHAT_IP_ALLOWLIST=auto: getcallbackip needs an access_token (the workers' shared one). */
  readonly api: ApiConfig;
  readonly enqueueTimeoutMs: number;
  readonly dedupWindowSeconds: number;
  readonly timestampSkewSeconds: number;
  readonly passiveWaitMs: number;
}

/**
 * Reads the gateway's settings from an environment. Returns a frozen config.
 * @throws ConfigError listing every bad variable (values of secrets never appear)
 */
export function loadGatewayConfig(env: Readonly<Record<string, string | undefined>>): GatewayConfig {
  const { data: e, accounts, issues } = parseEnvironment(gatewayEnvSchema, env);
  // The gateway verifies every push with the account's callback Token.
  for (const account of accounts ?? []) {
    if (account.token === undefined)
      issues.push({ variable: 'WECHAT_TOKEN', problem: `account ${account.appId} needs its callback Token` });
    // Reading the shared token is enough while a worker keeps it fresh, but a gateway started
    // alone must be able to fetch one.
    if (
      e?.WECHAT_IP_ALLOWLIST.includes(AUTO) === true &&
      !e.WECHAT_TOKEN_READ_ONLY &&
      account.appSecret === undefined
    ) {
      issues.push({
        variable: 'WECHAT_APPSECRET',
        problem: `WECHAT_IP_ALLOWLIST=auto calls getcallbackip: account ${account.appId} needs its app secret (or set WECHAT_TOKEN_READ_ONLY=true)`,
      });
    }
  }
  if (e === undefined || accounts === undefined || issues.length > 0) throw new ConfigError(issues);
  return deepFreeze({
    ...toAppConfig(e, accounts),
    http: { host: e.HOST, port: e.PORT, maxBodyBytes: e.MAX_BODY_BYTES, trustProxy: parseTrustProxy(e.TRUST_PROXY) },
    admin: {
      host: e.ADMIN_HOST,
      port: e.ADMIN_PORT,
      user: e.ADMIN_USER,
      password: e.ADMIN_PASSWORD,
      basePath: e.ADMIN_BASE_PATH,
    },
    ipAllowlist: e.WECHAT_IP_ALLOWLIST.includes(AUTO)
      ? { mode: 'auto' }
      : { mode: 'static', cidrs: e.WECHAT_IP_ALLOWLIST },
    api: toApiConfig(e),
    enqueueTimeoutMs: e.ENQUEUE_TIMEOUT_MS,
    dedupWindowSeconds: e.DEDUP_WINDOW_SECONDS,
    timestampSkewSeconds: e.TIMESTAMP_SKEW_SECONDS,
    passiveWaitMs: e.PASSIVE_WAIT_MS,
  });
}

/** Longer than any sane proxy path; keeps the log line and the error message short. */
const MAX_BASE_PATH_CHARS = 200;
/** One or more `/segment`s of unreserved URL characters (RFC 3986 §2.3): nothing to escape or normalise. */
const BASE_PATH = /^(\/[A-Za-z0-9._~-]+)+$/;

function checkBasePath(path: string, ctx: z.RefinementCtx): void {
  const problem = basePathProblem(path);
  if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
}

function basePathProblem(path: string): string | undefined {
  if (path.length > MAX_BASE_PATH_CHARS) return `at most ${MAX_BASE_PATH_CHARS} characters`;
  if (!path.startsWith('/')) return 'must start with /';
  if (path.split('/').some((segment) => segment === '.' || segment === '..')) return 'no . or .. segments';
  if (path === '/metrics') return 'not /metrics, which the admin listener serves itself';
  if (!BASE_PATH.test(path))
    return 'expected a path like /admin/queues: segments of letters, digits and . _ ~ -, no trailing or double /';
  return undefined;
}

/** Express's `trust proxy`: true/false, a hop count, or addresses/subnets (comma-separated). */
function parseTrustProxy(value: string): boolean | number | string {
  if (value === 'true' || value === 'false') return value === 'true';
  if (/^\d+$/.test(value)) return Number(value);
  return value;
}

const PROXY_NAMES: ReadonlySet<string> = new Set(['loopback', 'linklocal', 'uniquelocal']);

function isTrustProxy(value: string): boolean {
  if (value === 'true' || value === 'false' || /^\d+$/.test(value)) return true;
  return value.split(',').every((item) => PROXY_NAMES.has(item.trim()) || isCidr(item.trim()));
}

function isCidr(value: string): boolean {
  const [address, bits, ...rest] = value.split('/');
  if (address === undefined || rest.length > 0) return false;
  const v4 = z.ipv4().safeParse(address).success;
  const v6 = !v4 && z.ipv6().safeParse(address).success;
  if (!v4 && !v6) return false;
  if (bits === undefined) return true;
  return /^\d+$/.test(bits) && Number(bits) <= (v4 ? 32 : 128);
}
