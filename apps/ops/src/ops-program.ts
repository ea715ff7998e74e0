import { ConfigError, type WorkerConfig, loadWorkerConfig } from '@wxq/config';
import { QUEUE_KEYS, type QueueKey } from '@wxq/queue';
import { Command, CommanderError, Option } from 'commander';
import { type CliIo, EXIT, OpsError, UsageError, writeLine } from './cli-io.js';
import { parseCampaignId, runCampaign, runCampaignControl, runCampaigns } from './commands/campaigns.js';
import { runClean, runDrain } from './commands/drain-clean.js';
import { runFailed } from './commands/failed.js';
import { runPause, runResume } from './commands/pause.js';
import { runRetry } from './commands/retry.js';
import { runStatus } from './commands/status.js';
import { parseDuration, printable } from './duration.js';
import { type OpsContext, openOpsContext } from './ops-context.js';

// docs/wechat-protocol.md §0.3: an AppID is wx followed by 16 hex characters.
const APP_ID = /^wx[0-9a-f]{16}$/i;

/**
 * `npm run ops -- <command>`: parses the command line, loads the worker's configuration from
 * `io.env`, runs the command against the deployment's Redis and answers the exit code (EXIT).
 * Never throws: every problem is one line on stderr.
 */
export async function runOps(argv: readonly string[], io: CliIo): Promise<number> {
  let exitCode: number = EXIT.ok;
  const run = (command: (context: OpsContext) => Promise<number>) => async () => {
    exitCode = await withContext(loadWorkerConfig(io.env), command);
  };
  const program = new Command('ops')
    .description("Operator commands for a running wxq deployment (the worker's environment)")
    .exitOverride()
    .configureOutput({ writeOut: (text) => io.stdout.write(text), writeErr: (text) => io.stderr.write(text) })
    .showSuggestionAfterError();

  program
    .command('status')
    .description('job counts per queue and state, and per account; send pauses')
    .option('--json', 'one JSON document for scripts')
    .action(async (opts: { json?: true }) => run((c) => runStatus(c, io, { json: opts.json === true }))());

  program
    .command('failed')
    .description('failed jobs, newest first')
    .option('--json', 'a JSON array of {queue, id, account, openid, reason, attemptsMade, failedAt}')
    .addOption(queueOption())
    .addOption(accountOption())
    .option('--since <duration>', 'only jobs failed within this long: 30s, 15m, 1h, 2d, 1w', (v) =>
      parseDuration(v, '--since'),
    )
    .action(async (opts: { json?: true; queue?: QueueKey; account?: string; since?: number }) =>
      run((c) =>
        runFailed(c, io, { json: opts.json === true, queue: opts.queue, account: opts.account, sinceMs: opts.since }),
      )(),
    );

  program
    .command('retry')
    .description(
      're-run failed jobs with a fresh attempt budget; replies whose user has no quota left are reported, not sent',
    )
    .option('--all', 'every failed job (of --queue, of --account)')
    .option('--id <ids...>', 'the failed jobs with these ids (ops failed lists them)')
    .addOption(queueOption())
    .addOption(accountOption())
    .option('--json', 'one JSON document {retried, retriedIds, skipped} for scripts')
    .action(async (opts: { all?: true; id?: string[]; queue?: QueueKey; account?: string; json?: true }) =>
      run((c) =>
        runRetry(c, io, {
          all: opts.all === true,
          ids: opts.id ?? [],
          queue: opts.queue,
          account: opts.account,
          json: opts.json === true,
        }),
      )(),
    );

  program
    .command('pause')
    .description("hold an account's sends until resumed (replies wait, no attempt spent)")
    .addOption(accountOption('the account (default: every configured account)'))
    .action(async (opts: { account?: string }) => run((c) => runPause(c, io, { account: opts.account }))());

  program
    .command('resume')
    .description("lift an account's send pause: an operator's, or a 45009 / 45011 one")
    .addOption(accountOption('the account (default: every configured account)'))
    .action(async (opts: { account?: string }) => run((c) => runResume(c, io, { account: opts.account }))());

  program
    .command('drain')
    .description('remove every waiting and delayed job (asks first)')
    .addOption(queueOption())
    .option('--yes', 'do not ask (for scripts)')
    .action(async (opts: { queue?: QueueKey; yes?: true }) =>
      run((c) => runDrain(c, io, { queue: opts.queue, yes: opts.yes === true }))(),
    );

  program
    .command('clean')
    .description('remove finished jobs (asks first)')
    .addOption(queueOption())
    .addOption(
      new Option('--state <state>', 'which finished jobs').choices(['failed', 'completed'] as const).default('failed'),
    )
    .option(
      '--older-than <duration>',
      'only jobs finished at least this long ago: 30s, 15m, 1h, 2d, 1w',
      (v) => parseDuration(v, '--older-than'),
      0,
    )
    .option('--yes', 'do not ask (for scripts)')
    .action(async (opts: { queue?: QueueKey; state: 'failed' | 'completed'; olderThan: number; yes?: true }) =>
      run((c) =>
        runClean(c, io, { queue: opts.queue, state: opts.state, olderThanMs: opts.olderThan, yes: opts.yes === true }),
      )(),
    );

  program
    .command('campaigns')
    .description('the newest campaigns: status, recipients sent, refused and failed')
    .option('--limit <n>', 'at most this many (1 to 1000)', parseLimit, 20)
    .option('--json', 'a JSON array of campaigns as GET /api/v1/campaigns/:id answers them')
    .action(async (opts: { limit: number; json?: true }) =>
      run((c) => runCampaigns(c, io, { limit: opts.limit, json: opts.json === true }))(),
    );

  const campaign = program
    .command('campaign')
    .description("one campaign's counts (followed with a bar while it runs, on a terminal); pause, resume, cancel")
    .argument('<id>', 'the campaign (ops campaigns lists them)', parseCampaignId)
    .option('--json', 'the campaign as one JSON document, once')
    .action(async (id: string, opts: { json?: true }) =>
      run((c) => runCampaign(c, io, { id, json: opts.json === true }))(),
    );
  campaign
    .command('pause')
    .description('hold a running campaign: no more of its recipients are sent until resumed')
    .argument('<id>', 'the campaign', parseCampaignId)
    .action(async (id: string) => run((c) => runCampaignControl(c, io, { id, action: 'pause', yes: true }))());
  campaign
    .command('resume')
    .description("go on with a paused campaign (also lifts the account's 45009 pause of notifications)")
    .argument('<id>', 'the campaign', parseCampaignId)
    .action(async (id: string) => run((c) => runCampaignControl(c, io, { id, action: 'resume', yes: true }))());
  campaign
    .command('cancel')
    .description('stop a campaign for good: its unsent recipients are refused (asks first)')
    .argument('<id>', 'the campaign', parseCampaignId)
    .option('--yes', 'do not ask (for scripts)')
    .action(async (id: string, opts: { yes?: true }) =>
      run((c) => runCampaignControl(c, io, { id, action: 'cancel', yes: opts.yes === true }))(),
    );

  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (err) {
    return exitCodeOf(err, io);
  }
}

function queueOption(): Option {
  return new Option('--queue <queue>', 'only this queue').choices(QUEUE_KEYS);
}

function accountOption(description = 'only jobs of this account (AppID)'): Option {
  return new Option('--account <appid>', description).argParser((value) => {
    if (!APP_ID.test(value)) {
      throw new UsageError(`--account expects an AppID (wx followed by 16 hex characters), not '${printable(value)}'`);
    }
    return value;
  });
}

function parseLimit(value: string): number {
  const limit = /^\d{1,4}$/.test(value) ? Number(value) : 0;
  if (limit < 1 || limit > 1000) throw new UsageError(`--limit expects 1 to 1000, not '${printable(value)}'`);
  return limit;
}

async function withContext(config: WorkerConfig, command: (context: OpsContext) => Promise<number>): Promise<number> {
  const context = await openOpsContext(config);
  try {
    return await command(context);
  } finally {
    await context.close();
  }
}

function exitCodeOf(err: unknown, io: CliIo): number {
  if (err instanceof CommanderError) {
    // Commander printed its own message (help, an unknown command or option, a bad choice).
    return err.code === 'commander.helpDisplayed' || err.code === 'commander.version' ? EXIT.ok : EXIT.usage;
  }
  if (err instanceof UsageError) {
    writeLine(io.stderr, `error: ${err.message}`);
    return EXIT.usage;
  }
  if (err instanceof ConfigError) {
    writeLine(io.stderr, `error: ${err.message}`);
    return EXIT.config;
  }
  writeLine(io.stderr, `error: ${err instanceof OpsError || err instanceof Error ? err.message : String(err)}`);
  return EXIT.failed;
}
