import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { flag, optionalString } from './env-schema.js';

/** AppID: `wx` + 16 hex characters (docs/wechat-protocol.md §0.3). */
const APP_ID = /^wx[0-9a-f]{16}$/i;
/** EncodingAESKey: exactly 43 characters of [A-Za-z0-9] (docs/wechat-protocol.md §0.3, §3.1). */
const ENCODING_AES_KEY = /^[A-Za-z0-9]{43}$/;
/** The console accepts 3–32 letters and digits for the callback Token (docs/wechat-protocol.md §0.3). */
const TOKEN = /^[A-Za-z0-9]{3,32}$/;

/**
 * How an account's replies reach the user (WXQ_REPLY_MODE, docs/passive-replies.md): through the
 * customer-service API; as the passive answer to the push when the handler is quick, else the API;
 * or only ever as passive answers (accounts without the customer-service API).
 */
export const REPLY_MODES = ['customer-service', 'passive', 'passive-only'] as const;
export type ReplyMode = (typeof REPLY_MODES)[number];
export const replyModeSchema = z.enum(REPLY_MODES, { message: 'expected customer-service, passive or passive-only' });

export interface Account {
  readonly appId: string;
  /** Only processes that fetch access_tokens need it (the worker); the gateway never reads it. */
  readonly appSecret?: string | undefined;
  /** The callback Token: the gateway needs it; the worker never reads it. */
  readonly token?: string | undefined;
  readonly encodingAESKey?: string | undefined;
  /** The key before the last rotation, tried when the current one fails (docs/wechat-protocol.md §3.7). */
  readonly previousEncodingAESKey?: string | undefined;
  /** Refuse plaintext pushes. */
  readonly requireEncryption: boolean;
  /** The account's own reply mode (accounts file `replyMode`); undefined = WXQ_REPLY_MODE. */
  readonly replyMode?: ReplyMode | undefined;
  /** Template and subscribe sends per second (accounts file `templateRate`); undefined = WXQ_TEMPLATE_RATE. */
  readonly templateRate?: number | undefined;
  /**
   * Subscribe-notification templates with a long-term subscription (长期订阅, accounts file
   * `longTermTemplates`, docs/wechat-protocol.md §12.1): their sends need no consent credit.
   */
  readonly longTermTemplates?: readonly string[] | undefined;
}

const accountSchema = z
  .object({
    appId: z.string().regex(APP_ID, 'expected wx followed by 16 hex characters'),
    appSecret: z.string().min(1).optional(),
    token: z.string().regex(TOKEN, 'expected 3 to 32 letters or digits').optional(),
    encodingAESKey: z.string().regex(ENCODING_AES_KEY, 'expected 43 letters or digits').optional(),
    previousEncodingAESKey: z.string().regex(ENCODING_AES_KEY, 'expected 43 letters or digits').optional(),
    requireEncryption: z.boolean().default(false),
    replyMode: replyModeSchema.optional(),
    templateRate: z.number().int().min(0).max(100_000).optional(),
    longTermTemplates: z.array(z.string().min(1).max(128)).max(1000).optional(),
  })
  .strict()
  .refine((a) => !a.requireEncryption || a.encodingAESKey !== undefined, {
    message: 'requireEncryption needs an encodingAESKey',
    path: ['requireEncryption'],
  });

const accountsFileSchema = z
  .array(accountSchema)
  .min(1, 'expected at least one account')
  .refine((accounts) => new Set(accounts.map((a) => a.appId.toLowerCase())).size === accounts.length, {
    message: 'appIds must be unique',
  });

/** The single account described by WECHAT_* variables. */
export const envAccountSchema = z.object({
  WECHAT_APPID: optionalString,
  WECHAT_APPSECRET: optionalString,
  WECHAT_TOKEN: optionalString,
  WECHAT_ENCODING_AES_KEY: optionalString,
  WECHAT_PREVIOUS_ENCODING_AES_KEY: optionalString,
  WECHAT_REQUIRE_ENCRYPTION: flag(false),
});

export type EnvAccount = z.infer<typeof envAccountSchema>;

export interface AccountsSource {
  readonly accountsFile?: string | undefined;
  readonly env: EnvAccount;
}

/**
 * The configured accounts: the JSON file named by WXQ_ACCOUNTS_FILE, else the WECHAT_* variables.
 * Returns issues instead of throwing so that loadConfig can report everything at once.
 */
export function readAccounts(
  source: AccountsSource,
  readFile: (path: string) => string = (p) => readFileSync(p, 'utf8'),
):
  | { readonly ok: true; readonly accounts: readonly Account[] }
  | { readonly ok: false; readonly issues: readonly { variable: string; problem: string }[] } {
  if (source.accountsFile !== undefined) return readAccountsFile(source.accountsFile, readFile);
  const e = source.env;
  if (e.WECHAT_APPID === undefined && e.WECHAT_TOKEN === undefined) {
    return {
      ok: false,
      issues: [
        { variable: 'WECHAT_APPID', problem: 'no account: set WECHAT_APPID (and its secrets), or WXQ_ACCOUNTS_FILE' },
      ],
    };
  }
  const parsed = accountSchema.safeParse({
    appId: e.WECHAT_APPID ?? '',
    appSecret: e.WECHAT_APPSECRET,
    token: e.WECHAT_TOKEN,
    encodingAESKey: e.WECHAT_ENCODING_AES_KEY,
    previousEncodingAESKey: e.WECHAT_PREVIOUS_ENCODING_AES_KEY,
    requireEncryption: e.WECHAT_REQUIRE_ENCRYPTION,
  });
  if (parsed.success) return { ok: true, accounts: [parsed.data] };
  return {
    ok: false,
    issues: parsed.error.issues.map((i) => ({
      variable: ENV_NAMES[String(i.path[0])] ?? 'WECHAT_*',
      problem: i.message,
    })),
  };
}

const ENV_NAMES: Record<string, string> = {
  appId: 'WECHAT_APPID',
  appSecret: 'WECHAT_APPSECRET',
  token: 'WECHAT_TOKEN',
  encodingAESKey: 'WECHAT_ENCODING_AES_KEY',
  previousEncodingAESKey: 'WECHAT_PREVIOUS_ENCODING_AES_KEY',
  requireEncryption: 'WECHAT_REQUIRE_ENCRYPTION',
};

function readAccountsFile(path: string, readFile: (path: string) => string) {
  let json: unknown;
  try {
    json = JSON.parse(readFile(path));
  } catch (error) {
    const reason = error instanceof SyntaxError ? 'is not valid JSON' : 'cannot be read';
    return { ok: false as const, issues: [{ variable: 'WXQ_ACCOUNTS_FILE', problem: `${path} ${reason}` }] };
  }
  const parsed = accountsFileSchema.safeParse(json);
  if (parsed.success) return { ok: true as const, accounts: parsed.data };
  return {
    ok: false as const,
    issues: parsed.error.issues.map((i) => ({
      variable: `WXQ_ACCOUNTS_FILE[${i.path.join('.')}]`,
      problem: i.message,
    })),
  };
}
