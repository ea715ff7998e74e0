import { createHash } from 'node:crypto';
import { z } from 'zod';
import { type AppConfig, appEnvSchema, deepFreeze, toAppConfig } from './app-config.js';
import { ConfigError } from './config-error.js';
import { list, port, positiveInt } from './env-schema.js';
import { parseEnvironment } from './parse-environment.js';

/**
 * A bearer token as RFC 6750 §2.1 spells one (b64token), long enough not to be guessed: what
 * `openssl rand -hex 32` makes fits.
 */
const BEARER_TOKEN = /^[A-Za-z0-9\-._~+/]{16,256}=*$/;

const notifyApiEnvSchema = z
  .object({
    API_HOST: z.string().default('127.0.0.1'),
    API_PORT: port(3003),
    /** Comma-separated: several at once, so a token can be rotated without a window where none works. */
    WXQ_API_TOKENS: list.superRefine(checkTokens),
    SHUTDOWN_TIMEOUT_MS: positiveInt(10_000),
  })
  .extend(appEnvSchema.shape);

export interface NotifyApiConfig extends AppConfig {
  readonly http: { readonly host: string; readonly port: number };
  /**
   * SHA-256 of each WXQ_API_TOKENS entry, hex. The tokens themselves are not kept, so no log line
   * or dump of the config can show one; a request's bearer is compared by its digest.
   */
  readonly tokenDigests: readonly string[];
}

/**
 * Reads the notification API's settings from an environment: the accounts (no secret of theirs:
 * the API only queues), Redis, and the bearer tokens its callers present. Returns a frozen config.
 * @throws ConfigError listing every bad variable (a token's value never appears)
 */
export function loadNotifyApiConfig(env: Readonly<Record<string, string | undefined>>): NotifyApiConfig {
  const { data: e, accounts, issues } = parseEnvironment(notifyApiEnvSchema, env);
  if (e === undefined || accounts === undefined || issues.length > 0) throw new ConfigError(issues);
  return deepFreeze({
    // The accounts' secrets are not kept either: the API never calls WeChat.
    ...toAppConfig(
      e,
      accounts.map(({ appSecret: _s, token: _t, encodingAESKey: _k, previousEncodingAESKey: _p, ...rest }) => rest),
    ),
    http: { host: e.API_HOST, port: e.API_PORT },
    tokenDigests: e.WXQ_API_TOKENS.map((token) => createHash('sha256').update(token, 'utf8').digest('hex')),
  });
}

function checkTokens(tokens: readonly string[], ctx: z.RefinementCtx): void {
  if (tokens.length === 0) {
    ctx.addIssue({
      code: 'custom',
      message: 'not set: the API refuses every request without a bearer token; set one or more, comma-separated',
    });
  }
  tokens.forEach((token, index) => {
    if (!BEARER_TOKEN.test(token)) {
      ctx.addIssue({
        code: 'custom',
        message: `token ${index + 1}: expected 16 to 256 characters of A-Z a-z 0-9 - . _ ~ + / (e.g. openssl rand -hex 32)`,
      });
    }
  });
}
