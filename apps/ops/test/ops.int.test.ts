import { QUEUES } from '@wxq/queue';
import { UNTIL_RESUMED, createQuotaLedger } from '@wxq/quota';
import { createKeys } from '@wxq/redis';
import { startTsProcess } from '@wxq/testing';
import { afterEach, describe, expect, inject, it } from 'vitest';
import type { FailedJobRow, RetryReport, StatusReport } from '../src/index.js';
import { runOps } from '../src/index.js';
import { APP_ID, type OpsFixture, OTHER_APP_ID, at, captureIo, startOpsFixture } from './helpers.js';

// `npm run ops` against a real Redis, in-process; jobs made to fail by a real BullMQ worker.

let fixture: OpsFixture | undefined;
afterEach(async () => {
  await fixture?.close();
  fixture = undefined;
});

function start(env: Readonly<Record<string, string>> = {}): OpsFixture {
  fixture = startOpsFixture(inject('redisUrl'), env);
  return fixture;
}

describe('ops status', () => {
  it('counts jobs per queue and state, and per account, as text and as JSON', async () => {
    const f = start();
    await f.addPushes(2);
    await f.failAll('inbound', 2);
    await f.addPushes(3);
    await f.addPushes(1, { appId: OTHER_APP_ID });
    await f.addReplies(1);

    const json = await f.ops(['status', '--json']);
    expect(json.code).toBe(0);
    const report = JSON.parse(json.stdout) as StatusReport;
    expect(report.queues.inbound).toEqual({ waiting: 4, active: 0, delayed: 0, failed: 2, completed: 0 });
    expect(report.queues.outbound).toEqual({ waiting: 1, active: 0, delayed: 0, failed: 0, completed: 0 });
    expect(report.accounts).toEqual([
      {
        account: APP_ID,
        queues: {
          inbound: { waiting: 3, active: 0, delayed: 0, failed: 2, completed: 0 },
          outbound: { waiting: 1, active: 0, delayed: 0, failed: 0, completed: 0 },
          notify: { waiting: 0, active: 0, delayed: 0, failed: 0, completed: 0 },
          notifyBatch: { waiting: 0, active: 0, delayed: 0, failed: 0, completed: 0 },
        },
        sends: 'running',
        pausedUntil: null,
      },
      {
        account: OTHER_APP_ID,
        queues: {
          inbound: { waiting: 1, active: 0, delayed: 0, failed: 0, completed: 0 },
          outbound: { waiting: 0, active: 0, delayed: 0, failed: 0, completed: 0 },
          notify: { waiting: 0, active: 0, delayed: 0, failed: 0, completed: 0 },
          notifyBatch: { waiting: 0, active: 0, delayed: 0, failed: 0, completed: 0 },
        },
        sends: 'running',
        pausedUntil: null,
      },
    ]);

    const text = await f.ops(['status']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^inbound\s+4\s+0\s+0\s+2\s+0$/m);
    expect(text.stdout).toContain(`account ${APP_ID} (sends running)`);
  });
});

describe('ops failed', () => {
  it('lists failed jobs as a JSON array of {queue, id, account, openid, reason, attemptsMade, failedAt}', async () => {
    const f = start();
    const push = at(await f.addPushes(1, { openid: 'oUserA' }), 0);
    await f.failAll('inbound', 1);
    await f.addReplies(1, { openid: 'oUserB', appId: OTHER_APP_ID });
    await f.failAll('outbound', 1);

    const run = await f.ops(['failed', '--json']);
    expect(run.code).toBe(0);
    const rows = JSON.parse(run.stdout) as FailedJobRow[];
    expect(rows).toHaveLength(2);
    expect(rows[0]).toEqual({
      queue: 'inbound',
      id: QUEUES.inbound.jobId(push),
      account: APP_ID,
      openid: 'oUserA',
      reason: 'errcode 45015: response out of time limit',
      attemptsMade: 1,
      failedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) as unknown,
    });
    expect(Object.keys(rows[1] ?? {})).toEqual([
      'queue',
      'id',
      'account',
      'openid',
      'reason',
      'attemptsMade',
      'failedAt',
    ]);
    expect(rows[1]).toMatchObject({ queue: 'outbound', account: OTHER_APP_ID, openid: 'oUserB' });

    const byAccount = JSON.parse(
      (await f.ops(['failed', '--json', '--account', OTHER_APP_ID])).stdout,
    ) as FailedJobRow[];
    expect(byAccount.map((row) => row.queue)).toEqual(['outbound']);
    const byQueue = JSON.parse((await f.ops(['failed', '--json', '--queue', 'inbound'])).stdout) as FailedJobRow[];
    expect(byQueue.map((row) => row.queue)).toEqual(['inbound']);
    expect(JSON.parse((await f.ops(['failed', '--json', '--since', '1h'])).stdout)).toHaveLength(2);

    // Older than --since: a job whose failure is dated two hours back.
    await f.redis.zadd(`${f.prefix}:inbound:failed`, Date.now() - 2 * 3600_000, QUEUES.inbound.jobId(push));
    await f.redis.hset(`${f.prefix}:inbound:${QUEUES.inbound.jobId(push)}`, 'finishedOn', Date.now() - 2 * 3600_000);
    const recent = JSON.parse((await f.ops(['failed', '--json', '--since', '1h'])).stdout) as FailedJobRow[];
    expect(recent.map((row) => row.queue)).toEqual(['outbound']);

    const text = await f.ops(['failed']);
    expect(text.stdout).toContain('2 failed jobs');
    expect(text.stdout).toContain('errcode 45015');
  });
});

describe('ops retry', () => {
  it('--id re-runs a failed job with a fresh attempt budget; the job then completes', async () => {
    const f = start();
    const push = at(await f.addPushes(1), 0);
    await f.failAll('inbound', 1);
    const id = QUEUES.inbound.jobId(push);

    const run = await f.ops(['retry', '--id', id]);
    expect(run).toMatchObject({ code: 0, stdout: 'retried 1 job\n' });
    const job = await f.inbound.queue.getJob(id);
    expect(job?.attemptsMade).toBe(0);
    expect(await job?.getState()).toBe('waiting');
    const [completed] = await f.completeAll('inbound', 1);
    expect(completed?.id).toBe(id);
  });

  it('--all retries every failed job of --queue and --account; JSON says what was retried', async () => {
    const f = start();
    await f.addPushes(2);
    await f.addPushes(1, { appId: OTHER_APP_ID });
    await f.failAll('inbound', 3);
    await f.addReplies(1);
    await f.failAll('outbound', 1);

    const run = await f.ops(['retry', '--all', '--queue', 'inbound', '--account', APP_ID, '--json']);
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as RetryReport;
    expect(report.retried).toBe(2);
    expect(report.skipped).toEqual([]);
    expect(await f.inbound.queue.getJobCounts('waiting', 'failed')).toMatchObject({ waiting: 2, failed: 1 });
    expect(await f.outbound.queue.getFailedCount()).toBe(1);
  });

  it('a reply whose user has no quota left is reported and left failed; one with a send left is retried', async () => {
    const f = start();
    const keys = createKeys(f.prefix);
    const ledger = createQuotaLedger({ redis: f.redis, keyOf: keys.quota, rules: { messageSends: 5, eventSends: 3 } });
    // oWithSend clicked a menu: one event window of 3 sends, 2 already spent. oWithout never wrote.
    await ledger.grant(APP_ID, 'oWithSend', 'event', Date.now(), 'push-1');
    await ledger.reserve(APP_ID, 'oWithSend');
    await ledger.reserve(APP_ID, 'oWithSend');
    const withSend = await f.addReplies(2, { openid: 'oWithSend' });
    const without = await f.addReplies(1, { openid: 'oWithout' });
    await f.failAll('outbound', 3);

    const run = await f.ops(['retry', '--all', '--json']);
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout) as RetryReport;
    // One send left for oWithSend: its first reply goes, its second would be refused like oWithout's.
    expect(report.retriedIds).toEqual([QUEUES.outbound.jobId(at(withSend, 0))]);
    expect(report.skipped.map((s) => s.id).sort()).toEqual(
      [QUEUES.outbound.jobId(at(withSend, 1)), QUEUES.outbound.jobId(at(without, 0))].sort(),
    );
    expect(report.skipped.every((s) => s.reason.startsWith('no customer-service quota'))).toBe(true);
    expect(await f.outbound.queue.getFailedCount()).toBe(2);

    const text = await f.ops(['retry', '--id', QUEUES.outbound.jobId(at(without, 0))]);
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/^not retried: outbound out-[0-9a-f]{40}-0: no customer-service quota/m);
    // With the ledger off there is nothing to check against.
    expect((await f.ops(['retry', '--all'], { WXQ_CS_QUOTA: 'off' })).code).toBe(0);
  });

  it('reports ids that are not there or not failed, and exits 1', async () => {
    const f = start();
    const push = at(await f.addPushes(1), 0);
    const waiting = QUEUES.inbound.jobId(push);
    const missing = `in-${'0'.repeat(40)}`;
    const run = await f.ops(['retry', '--id', missing, waiting, '--json']);
    expect(run.code).toBe(1);
    expect((JSON.parse(run.stdout) as RetryReport).skipped).toEqual([
      { queue: 'inbound', id: missing, reason: 'no such job (removed, or never made)' },
      { queue: 'inbound', id: waiting, reason: 'not failed: it is waiting' },
    ]);
  });

  it('draws a progress bar on a terminal for a large batch, and none without one', async () => {
    const f = start();
    await f.addPushes(60);
    await f.failAll('inbound', 60);
    const terminal = captureIo(f.env, { stderr: true });
    expect(await runOps(['retry', '--all', '--queue', 'inbound'], terminal.io)).toBe(0);
    expect(terminal.stderr()).toMatch(/retrying \[#{30}\] 60\/60\n$/);
    expect(terminal.stdout()).toBe('retried 60 jobs\n');

    await f.failAll('inbound', 60);
    const script = captureIo(f.env);
    expect(await runOps(['retry', '--all'], script.io)).toBe(0);
    expect(script.stderr()).toBe('');
  });
});

describe('ops pause and resume', () => {
  it("pause holds the account's sends until resume; resume also lifts a 45009 pause", async () => {
    const f = start();
    const pauseKey = createKeys(f.prefix).sendPause(APP_ID);
    const paused = await f.ops(['pause', '--account', APP_ID]);
    expect(paused.code).toBe(0);
    expect(await f.redis.get(pauseKey)).toBe(String(UNTIL_RESUMED));
    expect(await f.redis.pttl(pauseKey)).toBe(-1);
    const status = JSON.parse((await f.ops(['status', '--json'])).stdout) as StatusReport;
    expect(status.accounts[0]).toMatchObject({ sends: 'paused', pausedUntil: null });

    expect((await f.ops(['resume'])).stdout).toBe(`sends of ${APP_ID} resumed (0 delayed replies woken)\n`);
    expect(await f.redis.exists(pauseKey)).toBe(0);

    // A 45009 pause as the worker writes it: until midnight Beijing time.
    const midnight = Date.now() + 3600_000;
    await f.redis.set(pauseKey, String(midnight), 'PX', 3600_000);
    const dated = JSON.parse((await f.ops(['status', '--json'])).stdout) as StatusReport;
    expect(dated.accounts[0]).toMatchObject({ sends: 'paused', pausedUntil: new Date(midnight).toISOString() });
    expect((await f.ops(['resume', '--account', APP_ID])).code).toBe(0);
    expect(await f.redis.exists(pauseKey)).toBe(0);
    expect((await f.ops(['resume'])).stdout).toBe(`sends of ${APP_ID} were not paused\n`);
  });

  it('refuses an account that is not configured', async () => {
    const f = start();
    const run = await f.ops(['pause', '--account', OTHER_APP_ID]);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(`error: '${OTHER_APP_ID}' is not a configured account (configured: ${APP_ID})\n`);
  });
});

describe('ops drain and clean', () => {
  it('drain asks first: no terminal and no --yes removes nothing (exit 4); --yes removes waiting and delayed jobs', async () => {
    const f = start();
    await f.addPushes(3);
    await f.addPushes(1, { delayMs: 60_000 });
    const refused = await f.ops(['drain']);
    expect(refused.code).toBe(4);
    expect(refused.stderr).toMatch(/pass --yes\. Nothing removed\./);
    expect(await f.inbound.queue.getJobCounts('waiting', 'delayed')).toMatchObject({ waiting: 3, delayed: 1 });

    const drained = await f.ops(['drain', '--queue', 'inbound', '--yes']);
    expect(drained).toMatchObject({ code: 0, stdout: 'drained inbound: 4 jobs\n' });
    expect(await f.inbound.queue.getJobCounts('waiting', 'delayed')).toMatchObject({ waiting: 0, delayed: 0 });
  });

  it('drain on a terminal goes ahead on "y" and not on "n"', async () => {
    const f = start();
    await f.addPushes(2);
    const no = captureIo(f.env, { stdin: true });
    const declined = runOps(['drain'], no.io);
    no.stdin.write('n\n');
    expect(await declined).toBe(4);
    expect(no.stderr()).toContain(
      'Remove 2 waiting and delayed jobs from inbound, outbound, notify and notify-batch? They are lost. [y/N]',
    );
    expect(await f.inbound.queue.getWaitingCount()).toBe(2);

    const yes = captureIo(f.env, { stdin: true });
    const accepted = runOps(['drain'], yes.io);
    yes.stdin.write('y\n');
    expect(await accepted).toBe(0);
    expect(await f.inbound.queue.getWaitingCount()).toBe(0);
  });

  it('clean removes failed jobs (older than --older-than), asking first', async () => {
    const f = start();
    await f.addPushes(2);
    await f.failAll('inbound', 2);
    expect((await f.ops(['clean'])).code).toBe(4);
    expect((await f.ops(['clean', '--older-than', '1h', '--yes'])).stdout).toBe('no failed jobs to clean\n');
    const cleaned = await f.ops(['clean', '--yes', '--queue', 'inbound']);
    expect(cleaned).toMatchObject({ code: 0, stdout: 'cleaned inbound: 2 failed jobs\n' });
    expect(await f.inbound.queue.getFailedCount()).toBe(0);
  });
});

describe('ops: bad input gets one clear line and a meaningful exit code', () => {
  it.each([
    [['bogus'], 2, /unknown command 'bogus'/],
    [['status', '--bogus'], 2, /unknown option '--bogus'/],
    [['failed', '--since', 'yesterday'], 2, /--since expects a duration like 30s, 15m, 1h, 2d or 1w, not 'yesterday'/],
    [['failed', '--since', '99999d'], 2, /--since is at most 365d/],
    [['failed', '--queue', 'jobs'], 2, /argument 'jobs' is invalid\. Allowed choices are inbound, outbound/],
    [['failed', '--account', 'admin'], 2, /--account expects an AppID/],
    [['retry'], 2, /retry needs either --all or --id/],
    [['retry', '--all', '--id', `in-${'a'.repeat(40)}`], 2, /retry needs either --all or --id/],
    [['retry', '--id', '42'], 2, /'42' is not a wxq job id/],
    [['retry', '--id', '../../etc/passwd'], 2, /is not a wxq job id/],
    [
      ['retry', '--id', `in-${'a'.repeat(40)}`, '--queue', 'outbound'],
      2,
      /is not an outbound job \(its id is an inbound one\)/,
    ],
    [['retry', '--id', 'x'.repeat(100_000)], 2, /'x{57}\.\.\.' is not a wxq job id/],
    [['retry', '--id', 'in-\u001b[2J'], 2, /'in-\\u001b\[2J' is not a wxq job id/],
    [['clean', '--state', 'active'], 2, /Allowed choices are failed, completed/],
    [['clean', '--older-than', '-1h'], 2, /--older-than expects a duration/],
    [[], 2, /Usage: ops/],
  ])('%j exits %i', async (args, code, message) => {
    const f = start();
    const run = await f.ops(args);
    expect(run.code).toBe(code);
    expect(run.stderr).toMatch(message);
    expect(run.stdout).toBe('');
  });

  it('--help exits 0', async () => {
    const f = start();
    const run = await f.ops(['retry', '--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('--all');
  });

  it('an invalid configuration exits 3 naming every bad variable, never a secret', async () => {
    const f = start();
    const run = await f.ops(['status'], { WECHAT_APPID: 'nope', HANDLER_ATTEMPTS: '99', WECHAT_APPSECRET: 'hunter2' });
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/WECHAT_APPID/);
    expect(run.stderr).toMatch(/HANDLER_ATTEMPTS/);
    expect(run.stderr).not.toContain('hunter2');
  });

  it('an unreachable Redis exits 1 with where it looked, never the password', async () => {
    const f = start();
    const run = await f.ops(['status'], { REDIS_URL: 'redis://:s3cret@127.0.0.1:1' });
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('error: Redis at 127.0.0.1:1 did not answer within 5 s (ECONNREFUSED)\n');
  });
});

describe('npm run ops (the entry point)', () => {
  it('prints JSON on stdout and exits with the command’s code', async () => {
    const f = start();
    const status = startTsProcess('apps/ops/src/main.ts', {
      env: { PATH: process.env['PATH'], ...f.env },
      args: ['status', '--json'],
    });
    expect((await status.exited).code).toBe(0);
    expect((JSON.parse(status.stdoutLines().join('\n')) as StatusReport).accounts[0]?.account).toBe(APP_ID);
    const bad = startTsProcess('apps/ops/src/main.ts', {
      env: { PATH: process.env['PATH'], ...f.env },
      args: ['nope'],
    });
    expect((await bad.exited).code).toBe(2);
    expect(bad.stderrLines()).toContain("error: unknown command 'nope'");
  });
});
