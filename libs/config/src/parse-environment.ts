import type { z } from 'zod';
import { type Account, envAccountSchema, readAccounts } from './accounts.js';
import type { ConfigIssue } from './config-error.js';
import { optionalString } from './env-schema.js';

export interface ParsedEnvironment<T> {
  /** Undefined when the schema found problems (they are in `issues`). */
  readonly data: T | undefined;
  /** Undefined when the accounts could not be read (the reasons are in `issues`). */
  readonly accounts: readonly Account[] | undefined;
  /** Every problem found so far; a loader adds its own cross-field ones, then throws them together. */
  readonly issues: ConfigIssue[];
}

/** A process's settings and its accounts (WXQ_ACCOUNTS_FILE or WECHAT_*), problems collected, none thrown. */
export function parseEnvironment<T>(
  schema: z.ZodType<T>,
  env: Readonly<Record<string, string | undefined>>,
): ParsedEnvironment<T> {
  const parsed = schema.safeParse(env);
  const issues: ConfigIssue[] = parsed.success
    ? []
    : parsed.error.issues.map((i) => ({ variable: String(i.path[0] ?? 'environment'), problem: i.message }));
  const accountEnv = envAccountSchema.safeParse(env);
  const read = accountEnv.success
    ? readAccounts({ accountsFile: optionalString.parse(env['WXQ_ACCOUNTS_FILE']), env: accountEnv.data })
    : undefined;
  if (read !== undefined && !read.ok) issues.push(...read.issues);
  return {
    data: parsed.success ? parsed.data : undefined,
    accounts: read?.ok === true ? read.accounts : undefined,
    issues,
  };
}
