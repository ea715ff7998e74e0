import { setTimeout as sleep } from 'node:timers/promises';
import { type Campaign, NotifyRequestError } from '@wxq/notify';
import { type CliIo, EXIT, OpsError, UsageError, writeJson, writeLine } from '../cli-io.js';
import { confirm } from '../confirm.js';
import { printable } from '../duration.js';
import type { OpsContext } from '../ops-context.js';
import { createBar } from '../progress.js';
import { formatTable } from '../table.js';

// libs/notify campaigns.ts: `cmp_` and 32 hex characters.
const CAMPAIGN_ID = /^cmp_[0-9a-f]{32}$/;

/** How often a followed campaign is read again. */
const FOLLOW_INTERVAL_MS = 1_000;

/**
 * A campaign id from the command line.
 * @throws UsageError for anything that cannot be one
 */
export function parseCampaignId(value: string): string {
  if (!CAMPAIGN_ID.test(value)) {
    throw new UsageError(`expected a campaign id (cmp_ followed by 32 hex characters), not '${printable(value)}'`);
  }
  return value;
}

/** Lists the newest campaigns. */
export async function runCampaigns(
  context: OpsContext,
  io: CliIo,
  options: { readonly json: boolean; readonly limit: number },
): Promise<number> {
  const campaigns = await context.campaigns.list(options.limit);
  if (options.json) {
    writeJson(io.stdout, campaigns);
    return 0;
  }
  if (campaigns.length === 0) {
    writeLine(io.stdout, 'no campaigns');
    return 0;
  }
  writeLine(
    io.stdout,
    formatTable(
      ['id', 'account', 'name', 'status', 'total', 'sent', 'refused', 'failed', 'created'],
      campaigns.map((c) => [
        c.id,
        c.account,
        c.name === undefined ? '-' : cut(c.name.replace(/\s+/g, ' '), 40),
        statusOf(c),
        String(c.total),
        String(c.counts.sent + c.counts.delivered),
        String(c.counts.refused),
        String(c.counts.failed),
        new Date(c.createdAt).toISOString(),
      ]),
    ),
  );
  writeLine(io.stdout, `${campaigns.length} campaign${campaigns.length === 1 ? '' : 's'}, newest first`);
  return 0;
}

/**
 * One campaign's counts. A running one, on a terminal, is followed with a bar until it stops
 * running (done, failed, cancelled or paused); elsewhere it is printed once.
 */
export async function runCampaign(
  context: OpsContext,
  io: CliIo,
  options: { readonly id: string; readonly json: boolean },
): Promise<number> {
  let campaign = await getCampaign(context, options.id);
  if (options.json) {
    writeJson(io.stdout, campaign);
    return 0;
  }
  if (campaign.status === 'running' && io.stdoutIsTTY === true) {
    writeLine(io.stdout, headline(campaign));
    const bar = createBar(io.stdout, 'processed', campaign.total);
    while (campaign.status === 'running') {
      bar.update(settled(campaign), countsLine(campaign));
      await sleep(FOLLOW_INTERVAL_MS);
      campaign = await getCampaign(context, options.id);
    }
    bar.update(settled(campaign), countsLine(campaign));
    bar.done();
  }
  writeCampaign(io, campaign);
  return 0;
}

/**
 * pause: running → paused; resume: paused → running (lifting the account's 45009 pause of
 * notifications); cancel: running or paused → cancelled, its unsent recipients refused (asks first
 * unless --yes).
 */
export async function runCampaignControl(
  context: OpsContext,
  io: CliIo,
  options: { readonly id: string; readonly action: 'pause' | 'resume' | 'cancel'; readonly yes: boolean },
): Promise<number> {
  const { id, action } = options;
  if (action === 'cancel') {
    const campaign = await getCampaign(context, id);
    const unsent = campaign.counts.queued;
    const question = `Cancel campaign ${id}${campaign.name === undefined ? '' : ` (${printable(campaign.name)})`}? Its ${unsent} unsent recipient${unsent === 1 ? ' is' : 's are'} refused, for good.`;
    if (!(await confirmed(io, options.yes, question))) return EXIT.declined;
  }
  try {
    await context.campaigns.control(id, action);
  } catch (err) {
    if (err instanceof NotifyRequestError && err.code === 'not_found') throw new OpsError(`no campaign ${id}`);
    if (err instanceof NotifyRequestError && err.code === 'conflict') {
      throw new OpsError(`campaign ${id}: ${err.message}`);
    }
    throw err;
  }
  writeLine(io.stdout, `campaign ${id} ${PAST[action]}`);
  return 0;
}

const PAST = { pause: 'paused', resume: 'resumed', cancel: 'cancelled' } as const;

async function getCampaign(context: OpsContext, id: string): Promise<Campaign> {
  const campaign = await context.campaigns.get(id);
  if (campaign === undefined) throw new OpsError(`no campaign ${id}`);
  return campaign;
}

function writeCampaign(io: CliIo, c: Campaign): void {
  writeLine(io.stdout, headline(c));
  writeLine(
    io.stdout,
    `${c.kind} ${c.templateId}, created ${new Date(c.createdAt).toISOString()}, ${c.fed} of ${c.total} recipients fed`,
  );
  const { queued, sent, delivered, failed, refused } = c.counts;
  writeLine(
    io.stdout,
    formatTable(
      ['total', 'queued', 'sent', 'delivered', 'failed', 'refused'],
      [[c.total, queued, sent, delivered, failed, refused].map(String)],
    ),
  );
}

function headline(c: Campaign): string {
  const name = c.name === undefined ? '' : ` "${printable(c.name)}"`;
  return `campaign ${c.id}${name} of ${c.account}: ${statusOf(c)}`;
}

/** `running`, `paused (45009)`, `failed (40037)`: a reason is why it is paused or failed. */
function statusOf(c: Campaign): string {
  return c.reason === undefined || (c.status !== 'paused' && c.status !== 'failed')
    ? c.status
    : `${c.status} (${c.reason})`;
}

/** Recipients no longer queued: sent (or delivered), failed or refused. */
function settled(c: Campaign): number {
  return c.total - c.counts.queued;
}

function countsLine(c: Campaign): string {
  const { sent, delivered, failed, refused } = c.counts;
  return `sent ${sent + delivered}, failed ${failed}, refused ${refused}`;
}

function cut(text: string, chars: number): string {
  return text.length > chars ? `${text.slice(0, chars - 3)}...` : text;
}

async function confirmed(io: CliIo, yes: boolean, question: string): Promise<boolean> {
  if (yes) return true;
  if (!io.stdinIsTTY) {
    writeLine(io.stderr, 'campaign cancel asks first: run it on a terminal, or pass --yes. Nothing cancelled.');
    return false;
  }
  if (await confirm(io, question)) return true;
  writeLine(io.stderr, 'Nothing cancelled.');
  return false;
}
