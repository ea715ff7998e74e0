import { type OperatorQueue, conversationOf } from '@wxq/queue';
import { type CliIo, UsageError, writeLine } from '../cli-io.js';
import { printable } from '../duration.js';
import type { OpsContext } from '../ops-context.js';

/** The accounts `--account` selects: the one named (it must be configured), or every configured one. */
function selectAccounts(context: OpsContext, account: string | undefined): string[] {
  const configured = context.config.accounts.map((a) => a.appId);
  if (account === undefined) return configured;
  if (!configured.includes(account)) {
    throw new UsageError(`'${printable(account)}' is not a configured account (configured: ${configured.join(', ')})`);
  }
  return [account];
}

/**
 * Holds the accounts' sends until `resume`: replies and notifications wait in "delayed", no
 * attempt spent (docs/quota.md, docs/notifications.md).
 */
export async function runPause(
  context: OpsContext,
  io: CliIo,
  options: { account: string | undefined },
): Promise<number> {
  for (const appId of selectAccounts(context, options.account)) {
    await context.pause.pauseUntilResumed(appId);
    await context.notificationPause.pauseUntilResumed(appId);
    writeLine(io.stdout, `sends of ${appId} paused until resumed (npm run ops -- resume --account ${appId})`);
  }
  return 0;
}

/**
 * Lifts the accounts' send pauses, an operator's or a 45009/45011 one, the notifications' too, and
 * wakes their delayed replies and notifications at once (a paused one would look again only within
 * a minute). Waking one that is delayed for another reason costs it one look: it finds why and
 * waits again.
 */
export async function runResume(
  context: OpsContext,
  io: CliIo,
  options: { account: string | undefined },
): Promise<number> {
  const accounts = selectAccounts(context, options.account);
  const paused = new Set<string>();
  for (const appId of accounts) {
    // Both pauses, whichever are set: each is lifted, whatever the other answered.
    const lifted = await Promise.all([context.pause.resume(appId), context.notificationPause.resume(appId)]);
    if (lifted.includes(true)) paused.add(appId);
  }
  const woken = paused.size === 0 ? new Map<string, number>() : await wakeDelayedReplies(context, paused);
  for (const appId of accounts) {
    writeLine(
      io.stdout,
      paused.has(appId)
        ? `sends of ${appId} resumed (${woken.get(appId) ?? 0} delayed replies woken)`
        : `sends of ${appId} were not paused`,
    );
  }
  return 0;
}

const PAGE_SIZE = 200;

async function wakeDelayedReplies(context: OpsContext, accounts: ReadonlySet<string>): Promise<Map<string, number>> {
  const woken = new Map<string, number>();
  for (const queue of [...context.queues.outbound, ...context.queues.notify])
    await wakeDelayedOf(queue, accounts, woken);
  return woken;
}

async function wakeDelayedOf(queue: OperatorQueue, accounts: ReadonlySet<string>, woken: Map<string, number>) {
  // Promoted jobs leave "delayed", so the next page starts after the ones kept.
  for (let start = 0; ;) {
    const page = await queue.getDelayed(start, start + PAGE_SIZE - 1);
    let kept = 0;
    for (const job of page) {
      const appId = conversationOf(job.queueName, job.data)?.appId;
      // It may also have woken by itself meanwhile: then promote fails, and it is on its way anyway.
      const promoted =
        appId !== undefined &&
        accounts.has(appId) &&
        (await job.promote().then(
          () => true,
          () => false,
        ));
      if (promoted) woken.set(appId, (woken.get(appId) ?? 0) + 1);
      else kept += 1;
    }
    if (page.length < PAGE_SIZE) return;
    start += kept;
  }
}
