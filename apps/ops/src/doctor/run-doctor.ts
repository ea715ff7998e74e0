import { Command, CommanderError } from 'commander';
import { type CliIo, EXIT, writeLine } from '../cli-io.js';
import { checkAesKey } from './aes-key-check.js';
import { checkAllowlist } from './allowlist-check.js';
import { type CheckResult, describeError, fail, formatResult } from './check.js';
import { checkClock } from './clock-check.js';
import { checkConfig } from './config-check.js';
import { checkHandshake } from './handshake-check.js';
import { checkRedis } from './redis-checks.js';
import { checkToken } from './token-check.js';

/** The gateway's default replay window, for the clock check when there is no gateway config. */
const DEFAULT_TIMESTAMP_SKEW_SECONDS = 300;

/**
 * `npm run doctor [-- --url PUBLIC_CALLBACK_URL]`: checks the deployment's setup from `io.env` (the
 * gateway's and the worker's variables) and prints one line per check as it goes. Answers 0 when
 * none failed (warnings allowed), 1 otherwise, 2 for an unknown option. Never throws.
 */
export async function runDoctor(argv: readonly string[], io: CliIo): Promise<number> {
  const program = new Command('doctor')
    .description('check a wxq setup: configuration, Redis, the WeChat account, the clock, the public callback URL')
    .option('--url <url>', 'the public callback URL set in the WeChat console: a signed handshake goes through it')
    .exitOverride()
    .configureOutput({ writeOut: (text) => io.stdout.write(text), writeErr: (text) => io.stderr.write(text) });
  try {
    program.parse([...argv], { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) return err.code === 'commander.helpDisplayed' ? EXIT.ok : EXIT.usage;
    throw err;
  }
  const { url } = program.opts<{ url?: string }>();
  const outcome = { failed: false };
  const report = (results: readonly CheckResult[]) => {
    for (const result of results) {
      if (result.status === 'fail') outcome.failed = true;
      writeLine(io.stdout, formatResult(result));
    }
  };
  try {
    await runChecks(io, url, report);
  } catch (err) {
    // A check that broke is a failed check, not a crash.
    report([fail(`doctor could not finish: ${describeError(err)}`, 'report this with the lines above')]);
  }
  return outcome.failed ? EXIT.failed : EXIT.ok;
}

async function runChecks(io: CliIo, url: string | undefined, report: (results: readonly CheckResult[]) => void) {
  const { results, configs } = checkConfig(io.env);
  report(results);
  const { worker, gateway } = configs;
  const app = worker ?? gateway;
  if (app === undefined) return;

  try {
    report(await checkRedis(app));
  } catch (err) {
    report([fail(describeError(err), 'start Redis, or fix REDIS_URL / REDIS_CLUSTER_NODES')]);
  }

  let accessToken: string | undefined;
  for (const account of app.accounts) {
    if (worker !== undefined) {
      const workerAccount = worker.accounts.find((a) => a.appId === account.appId) ?? account;
      const token = await checkToken(worker, workerAccount);
      report([token.result]);
      accessToken ??= token.accessToken;
    }
    if (gateway !== undefined) {
      report(checkAesKey(gateway.accounts.find((a) => a.appId === account.appId) ?? account));
    }
  }
  if (worker !== undefined) {
    const skew = gateway?.timestampSkewSeconds ?? DEFAULT_TIMESTAMP_SKEW_SECONDS;
    report([await checkClock(worker.api.baseUrl, worker.api.timeoutMs, skew)]);
  }
  if (url !== undefined) {
    report(
      gateway === undefined
        ? [fail('--url not checked: the handshake is signed with the gateway’s Token', 'fix the gateway configuration')]
        : await checkHandshake(url, gateway),
    );
  }
  if (gateway !== undefined && worker !== undefined) {
    report([
      await checkAllowlist(gateway.ipAllowlist, {
        baseUrl: worker.api.baseUrl,
        timeoutMs: worker.api.timeoutMs,
        accessToken,
      }),
    ]);
  }
}
