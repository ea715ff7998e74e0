import { type Campaign, type Campaigns, createCampaigns } from '@wxq/notify';
import { createKeys } from '@wxq/redis';
import { waitFor } from '@wxq/testing';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { runOps } from '../src/index.js';
import { APP_ID, type OpsFixture, OTHER_APP_ID, captureIo, startOpsFixture } from './helpers.js';

// `npm run ops -- campaigns | campaign ...` against a real Redis, on campaigns accepted as the API
// accepts them (no worker feeds them: their counts are moved by hand where a test needs it).

let fixture: OpsFixture | undefined;
afterEach(async () => {
  await fixture?.close();
  fixture = undefined;
});

interface CampaignFixture {
  readonly f: OpsFixture;
  readonly campaigns: Campaigns;
  readonly create: (recipients: readonly string[], options?: { name?: string; account?: string }) => Promise<Campaign>;
  /** Moves a campaign's hash as the worker's records would. */
  readonly set: (id: string, fields: Record<string, string | number>) => Promise<void>;
}

function start(): CampaignFixture {
  const f = startOpsFixture(inject('redisUrl'));
  fixture = f;
  const keys = createKeys(f.prefix);
  const campaigns = createCampaigns({ redis: f.redis, keys, accounts: [APP_ID, OTHER_APP_ID] });
  return {
    f,
    campaigns,
    create: (recipients, { name, account } = {}) =>
      campaigns.create({
        ...(account === undefined ? {} : { account }),
        ...(name === undefined ? {} : { name }),
        template: { id: 'TPL_weekly', data: { thing1: { value: 'Weekly digest' } } },
        recipients: [...recipients],
      }),
    set: async (id, fields) => {
      await f.redis.hset(keys.campaign(id), fields);
    },
  };
}

const UNKNOWN_ID = `cmp_${'0'.repeat(32)}`;

describe('ops campaigns', () => {
  it('lists the newest campaigns first with status, sent, refused and failed; --json as the API answers', async () => {
    const { f, create, set } = start();
    expect(await f.ops(['campaigns'])).toMatchObject({ code: 0, stdout: 'no campaigns\n' });
    const older = await create(['oA', 'oB', 'oC'], { name: 'spring sale' });
    await set(older.id, { createdAt: older.createdAt - 1000, queued: 0, sent: 1, delivered: 1, refused: 1 });
    await f.redis.zadd(createKeys(f.prefix).campaigns, older.createdAt - 1000, older.id);
    const newer = await create(['oD'], { account: OTHER_APP_ID });
    await set(newer.id, { status: 'paused', reason: 'operator' });

    const text = await f.ops(['campaigns']);
    expect(text.code).toBe(0);
    const lines = text.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^id\s+account\s+name\s+status\s+total\s+sent\s+refused\s+failed\s+created$/);
    expect(lines[1]).toMatch(
      new RegExp(`^${newer.id}\\s+${OTHER_APP_ID}\\s+-\\s+paused \\(operator\\)\\s+1\\s+0\\s+0\\s+0\\s+\\d{4}-`),
    );
    expect(lines[2]).toMatch(
      new RegExp(`^${older.id}\\s+${APP_ID}\\s+spring sale\\s+running\\s+3\\s+2\\s+1\\s+0\\s+\\d{4}-`),
    );
    expect(lines[3]).toBe('2 campaigns, newest first');

    const json = JSON.parse((await f.ops(['campaigns', '--json', '--limit', '1'])).stdout) as Campaign[];
    expect(json).toEqual([expect.objectContaining({ id: newer.id, status: 'paused', reason: 'operator', total: 1 })]);
  });
});

describe('ops campaign ID', () => {
  it('prints its counts once when stdout is not a terminal', async () => {
    const { f, create, set } = start();
    const c = await create(['oA', 'oB'], { name: 'digest' });
    await set(c.id, { queued: 1, sent: 1, fed: 2 });
    const run = await f.ops(['campaign', c.id]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`campaign ${c.id} "digest" of ${APP_ID}: running\n`);
    expect(run.stdout).toContain('template TPL_weekly, created ');
    expect(run.stdout).toContain('2 of 2 recipients fed');
    expect(run.stdout).toMatch(/^total\s+queued\s+sent\s+delivered\s+failed\s+refused\n2\s+1\s+1\s+0\s+0\s+0\n$/m);
    expect(run.stdout).not.toContain('[');

    const json = JSON.parse((await f.ops(['campaign', c.id, '--json'])).stdout) as Campaign;
    expect(json).toMatchObject({ id: c.id, counts: { queued: 1, sent: 1, delivered: 0, failed: 0, refused: 0 } });
  });

  it('on a terminal, follows a running campaign with a bar until it is done', async () => {
    const { f, create, set } = start();
    const c = await create(['oA', 'oB']);
    const watched = captureIo(f.env, { stdout: true });
    const code = runOps(['campaign', c.id], watched.io);
    await waitFor(() => watched.stdout().includes('processed ['), { timeoutMs: 5_000, message: 'the bar drawn' });
    await set(c.id, { queued: 1, sent: 1 });
    await waitFor(() => watched.stdout().includes('] 1/2  sent 1, failed 0, refused 0'), {
      timeoutMs: 5_000,
      message: 'the bar redrawn',
    });
    await set(c.id, { queued: 0, sent: 0, delivered: 1, failed: 1, status: 'done' });
    expect(await code).toBe(0);
    const out = watched.stdout();
    expect(out).toContain(`\rprocessed [${'#'.repeat(30)}] 2/2  sent 1, failed 1, refused 0`);
    expect(out).toContain(`campaign ${c.id} of ${APP_ID}: done\n`);
    expect(out).toMatch(/^2\s+0\s+0\s+1\s+1\s+0$/m);
  });

  it('a finished campaign on a terminal is printed once, without a bar', async () => {
    const { f, create, set } = start();
    const c = await create(['oA']);
    await set(c.id, { status: 'done', queued: 0, delivered: 1 });
    const watched = captureIo(f.env, { stdout: true });
    expect(await runOps(['campaign', c.id], watched.io)).toBe(0);
    expect(watched.stdout()).not.toContain('processed');
    expect(watched.stdout()).toContain(': done\n');
  });
});

describe('ops campaign pause | resume | cancel', () => {
  it('pauses, resumes and cancels (cancel with --yes), each one line', async () => {
    const { f, create, campaigns } = start();
    const c = await create(['oA', 'oB']);

    expect(await f.ops(['campaign', 'pause', c.id])).toEqual({
      code: 0,
      stdout: `campaign ${c.id} paused\n`,
      stderr: '',
    });
    expect((await campaigns.get(c.id))?.status).toBe('paused');

    expect(await f.ops(['campaign', 'resume', c.id])).toMatchObject({
      code: 0,
      stdout: `campaign ${c.id} resumed\n`,
    });
    expect((await campaigns.get(c.id))?.status).toBe('running');

    expect(await f.ops(['campaign', 'cancel', c.id, '--yes'])).toMatchObject({
      code: 0,
      stdout: `campaign ${c.id} cancelled\n`,
    });
    expect((await campaigns.get(c.id))?.status).toBe('cancelled');
    // The reason it was once paused for is not shown once it is cancelled.
    expect((await f.ops(['campaign', c.id])).stdout).toContain(`campaign ${c.id} of ${APP_ID}: cancelled\n`);
  });

  it('cancel asks first: without a terminal nothing is cancelled; on one, "n" keeps it and "y" cancels', async () => {
    const { f, create, campaigns } = start();
    const c = await create(['oA', 'oB', 'oC'], { name: 'digest' });

    const refused = await f.ops(['campaign', 'cancel', c.id]);
    expect(refused).toMatchObject({ code: 4, stdout: '' });
    expect(refused.stderr).toBe(
      'campaign cancel asks first: run it on a terminal, or pass --yes. Nothing cancelled.\n',
    );
    expect((await campaigns.get(c.id))?.status).toBe('running');

    const no = captureIo(f.env, { stdin: true });
    const declined = runOps(['campaign', 'cancel', c.id], no.io);
    no.stdin.write('n\n');
    expect(await declined).toBe(4);
    expect(no.stderr()).toContain(
      `Cancel campaign ${c.id} (digest)? Its 3 unsent recipients are refused, for good. [y/N]`,
    );
    expect((await campaigns.get(c.id))?.status).toBe('running');

    const yes = captureIo(f.env, { stdin: true });
    const accepted = runOps(['campaign', 'cancel', c.id], yes.io);
    yes.stdin.write('y\n');
    expect(await accepted).toBe(0);
    expect((await campaigns.get(c.id))?.status).toBe('cancelled');
  });

  it('a move its status does not allow is one line and exit 1', async () => {
    const { f, create, campaigns } = start();
    const c = await create(['oA']);
    expect(await f.ops(['campaign', 'resume', c.id])).toEqual({
      code: 1,
      stdout: '',
      stderr: `error: campaign ${c.id}: the campaign is running: cannot resume it\n`,
    });
    await campaigns.control(c.id, 'cancel');
    expect(await f.ops(['campaign', 'pause', c.id])).toEqual({
      code: 1,
      stdout: '',
      stderr: `error: campaign ${c.id}: the campaign is cancelled: cannot pause it\n`,
    });
    expect((await f.ops(['campaign', 'cancel', c.id, '--yes'])).stderr).toBe(
      `error: campaign ${c.id}: the campaign is cancelled: cannot cancel it\n`,
    );
  });
});

describe('ops campaign: bad and unknown ids get one clear line', () => {
  it.each([
    [['campaign', UNKNOWN_ID]],
    [['campaign', 'pause', UNKNOWN_ID]],
    [['campaign', 'resume', UNKNOWN_ID]],
    [['campaign', 'cancel', UNKNOWN_ID]],
    [['campaign', 'cancel', UNKNOWN_ID, '--yes']],
  ])('%j: no such campaign, exit 1', async (args) => {
    const { f } = start();
    expect(await f.ops(args)).toEqual({ code: 1, stdout: '', stderr: `error: no campaign ${UNKNOWN_ID}\n` });
  });

  it.each([
    [['campaign', 'nope']],
    [['campaign', 'pause', 'cmp_XYZ']],
    [['campaign', 'resume', `cmp_${'a'.repeat(33)}`]],
    [['campaign', 'cancel', 'ntf_0123456789abcdef0123456789abcdef', '--yes']],
  ])('%j: not a campaign id, exit 2', async (args) => {
    const { f } = start();
    const run = await f.ops(args);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(
      /^error: expected a campaign id \(cmp_ followed by 32 hex characters\), not '[^\n]*'\n$/,
    );
  });

  it('a missing id is a usage error', async () => {
    const { f } = start();
    expect((await f.ops(['campaign'])).code).toBe(2);
    expect((await f.ops(['campaign', 'pause'])).code).toBe(2);
  });
});
