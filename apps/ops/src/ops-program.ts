import { ConfigError, type WorkerConfig, loadWorkerConfig } from '@wxq/config';
import { QUEUE_KEYS, type QueueKey } from '@wxq/queue';
import { Command, CommanderError, Option } from 'commander';
import { type CliIo, EXIT, OpsError, UsageError, writeLine } from './cli-io.js';
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
