import { type CliIo, UsageError, writeLine } from '../cli-io.js';
import { printable } from '../duration.js';
import type { OpsContext } from '../ops-context.js';

/** The accounts `--account` selects: the one named (it must be configured), or every configured one. */
export function selectAccounts(context: OpsContext, account: string | undefined): string[] {
  const configured = context.config.accounts.map((a) => a.appId);
  if (account === undefined) return configured;
  if (!configured.includes(account)) {
    throw new UsageError(`'${printable(account)}' is not a configured account (configured: ${configured.join(', ')})`);
  }
  return [account];
}

/** Holds the accounts' sends until `resume`: replies wait in "delayed", no attempt spent (docs/quota.md). */
export async function runPause(
  context: OpsContext,
  io: CliIo,
  options: { account: string | undefined },
): Promise<number> {
  for (const appId of selectAccounts(context, options.account)) {
    await context.pause.pauseUntilResumed(appId);
    writeLine(io.stdout, `sends of ${appId} paused until resumed (npm run ops -- resume --account ${appId})`);
  }
  return 0;
}

/** Lifts the accounts' send pauses, an operator's or a 45009/45011 one; waiting replies go within a minute. */
export async function runResume(
  context: OpsContext,
  io: CliIo,
  options: { account: string | undefined },
): Promise<number> {
  for (const appId of selectAccounts(context, options.account)) {
    const wasPaused = await context.pause.resume(appId);
    writeLine(io.stdout, wasPaused ? `sends of ${appId} resumed` : `sends of ${appId} were not paused`);
  }
  return 0;
}
