// `npm run sim` tells the simulator of the user action it pushes, so replies find their window
// open when the simulator enforces the send rules (docs/wechat-protocol.md §7.4). In process
// through createSimCli, and once as the real entry point in another process, reading the
// sandbox state file as it does after `npm start`.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildInboundXml } from '@wxq/wechat';
import { startTsProcess, waitFor } from '@wxq/testing';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { WechatApiSimulator } from '../src/api/simulator.js';
import { type SandboxState, writeSandboxState } from '../src/cli/sandbox-state.js';
import { createSimCli } from '../src/cli/sim-cli.js';
import { createMessage } from '../src/push/messages.js';
import { type EchoAccount, startEchoAccount } from './echo-account.js';
import { ACCOUNT, OPENID, startTestSimulator } from './helpers.js';

const PUSH_ACCOUNT = {
  ...ACCOUNT,
  token: 'simclitoken',
  encodingAESKey: 'Zm9yLXRlc3Qtb25seS1wcm90by1jaGVjay1rZXktMDE',
};

interface Rig {
  readonly sim: WechatApiSimulator;
  readonly echo: EchoAccount;
  readonly state: SandboxState;
}

async function startRig(): Promise<Rig> {
  // The real clock: the CLI stamps CreateTime with it, as WeChat would.
  const sim = await startTestSimulator({ enforceQuota: true });
  const echo = await startEchoAccount(sim, PUSH_ACCOUNT);
  const state: SandboxState = {
    gatewayUrl: echo.url,
    simulatorUrl: sim.url,
    account: { appId: PUSH_ACCOUNT.appId, token: PUSH_ACCOUNT.token, encodingAESKey: PUSH_ACCOUNT.encodingAESKey },
  };
  return { sim, echo, state };
}

async function runCli(state: SandboxState, args: readonly string[]): Promise<{ out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  await createSimCli(state, { out: (line) => out.push(line), err: (line) => err.push(line) }).parseAsync(args, {
    from: 'user',
  });
  return { out, err };
}

async function tempFile(name: string, content: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'wxq-sim-cli-'));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, name);
  await writeFile(file, content);
  return file;
}

describe('npm run sim, against a simulator that enforces the send rules', () => {
  it('send records the message first, so the reply goes', async () => {
    const { sim, echo, state } = await startRig();
    const { out } = await runCli(state, ['send', 'text', 'hello', '--openid', OPENID]);
    expect(sim.interactions).toMatchObject([
      { appId: ACCOUNT.appId, openId: OPENID, msgType: 'text', grant: 'message', outcome: 'applied' },
    ]);
    expect(out[0]).toMatch(/^interaction -> 5 sends open until \d{4}-\d\d-\d\dT/);
    expect(out).toContain('POST /wechat (safe) -> 200 success');
    expect(out.at(-1)).toBe(
      `reply -> ${JSON.stringify({ touser: OPENID, msgtype: 'text', text: { content: 'echo' } })}`,
    );
    await waitFor(() => echo.replies.length === 1, { message: 'the echo account saw its reply answered' });
    expect(echo.replies).toEqual([0]);
  });

  it('send of an event opens the event window', async () => {
    const { sim, echo, state } = await startRig();
    const { out } = await runCli(state, ['send', 'click', 'MENU_KEY', '--openid', OPENID]);
    expect(out[0]).toMatch(/^interaction -> 3 sends open until /);
    expect(sim.sendWindows(ACCOUNT.appId, OPENID)).toMatchObject([{ kind: 'event', sendsLeft: 2 }]);
    await waitFor(() => echo.replies.length === 1, { message: 'the echo account saw its reply answered' });
    expect(echo.replies).toEqual([0]);
  });

  it('--repeat sends one user action several times: it is recorded once', async () => {
    const { sim, echo, state } = await startRig();
    await runCli(state, ['send', 'text', 'again', '--openid', OPENID, '--repeat', '3', '--no-wait']);
    await waitFor(() => echo.replies.length === 3, { message: 'the echo account replied to each delivery' });
    expect(sim.interactions).toHaveLength(1);
    expect(echo.replies).toEqual([0, 0, 0]);
    expect(sim.sendWindows(ACCOUNT.appId, OPENID)).toMatchObject([{ kind: 'message', sendsLeft: 2 }]);
  });

  it('send unsubscribe closes the windows: the reply to it gets 45015', async () => {
    const { sim, echo, state } = await startRig();
    await runCli(state, ['send', 'text', 'hi', '--openid', OPENID]);
    const { out } = await runCli(state, ['send', 'unsubscribe', '--openid', OPENID, '--no-wait']);
    expect(out[0]).toBe("interaction -> closes the user's send windows");
    await waitFor(() => echo.replies.length === 2, { message: 'the echo account tried to reply to the unsubscribe' });
    expect(echo.replies).toEqual([0, 45015]);
    expect(sim.sendWindows(ACCOUNT.appId, OPENID)).toEqual([]);
  });

  it('replay records the captured push: a fresh capture opens the window', async () => {
    const { sim, echo, state } = await startRig();
    const createTime = String(Math.floor(Date.now() / 1000) - 60);
    const file = await tempFile(
      'capture.xml',
      buildInboundXml(createMessage.text('captured', { openid: OPENID, createTime })),
    );
    const { out } = await runCli(state, ['replay', file]);
    expect(sim.interactions).toMatchObject([
      { openId: OPENID, createdAt: Number(createTime) * 1000, outcome: 'applied' },
    ]);
    expect(out.at(-1)).toMatch(/^reply -> /);
    await waitFor(() => echo.replies.length === 1, { message: 'the echo account saw its reply answered' });
    expect(echo.replies).toEqual([0]);
  });

  it('replay of a capture older than 48 h opens no window: the reply gets 45015', async () => {
    const { sim, echo, state } = await startRig();
    const createTime = String(Math.floor(Date.now() / 1000) - 3 * 24 * 3600);
    const file = await tempFile('old.xml', buildInboundXml(createMessage.text('old', { openid: OPENID, createTime })));
    const { out } = await runCli(state, ['replay', file, '--no-wait']);
    expect(out[0]).toBe('interaction -> opens no send window: its CreateTime is past the window');
    await waitFor(() => echo.replies.length === 1, { message: 'the echo account tried to reply' });
    expect(echo.replies).toEqual([45015]);
    expect(sim.interactions).toHaveLength(1);
  });

  it('replay of a push that does not read as a message says so and still delivers it', async () => {
    const { sim, state } = await startRig();
    // No CreateTime: nobody can tell when the user acted (the echo account refuses it too).
    const file = await tempFile(
      'odd.xml',
      `<xml><ToUserName>gh_0123456789ab</ToUserName><FromUserName>${OPENID}</FromUserName><MsgType>text</MsgType><Content>x</Content></xml>`,
    );
    const { out, err } = await runCli(state, ['replay', file, '--no-wait']);
    expect(err).toEqual(['not recorded at the simulator: the push does not read as a message']);
    expect(out).toEqual(['POST /wechat (safe) -> 401 bad push']);
    expect(sim.interactions).toEqual([]);
  });

  it('a simulator that refuses the interaction is reported, and the push still goes', async () => {
    const { sim, echo, state } = await startRig();
    const { out, err } = await runCli(state, [
      '--appid',
      'wxnotsimulated0000',
      'send',
      'text',
      'hi',
      '--openid',
      OPENID,
      '--mode',
      'plaintext',
      '--no-wait',
    ]);
    expect(err).toEqual(['not recorded at the simulator: no such account in the simulator: wxnotsimulated0000']);
    expect(out).toEqual(['POST /wechat (plaintext) -> 200 success']);
    await waitFor(() => echo.replies.length === 1, { message: 'the echo account tried to reply' });
    expect(echo.replies).toEqual([45015]);
    expect(sim.interactions).toEqual([]);
  });

  it('send subscribe-popup --accept grants a send of the template; --reject clears it', async () => {
    const { sim, echo, state } = await startRig();
    const accepted = await runCli(state, [
      'send',
      'subscribe-popup',
      'demo_subscribe_once',
      '--accept',
      '--openid',
      OPENID,
    ]);
    expect(accepted.out[0]).toBe('interaction -> demo_subscribe_once accept: 1 send allowed');
    expect(accepted.out).toContain('POST /wechat (safe) -> 200 success');
    // No reply is awaited for a subscribe answer.
    expect(accepted.out).toHaveLength(2);
    expect(sim.subscribeConsentOf(ACCOUNT.appId, OPENID, 'demo_subscribe_once')).toMatchObject({ credits: 1 });
    const rejected = await runCli(state, [
      'send',
      'subscribe-popup',
      'demo_subscribe_once,demo_subscribe_long,nope',
      '--reject',
      '--openid',
      OPENID,
    ]);
    expect(rejected.out[0]).toBe(
      'interaction -> demo_subscribe_once reject: 0 sends allowed; demo_subscribe_long reject: long-term, sends refused (43101); ' +
        "nope reject: ignored (not an accept or reject of one of the account's subscribe templates)",
    );
    expect(sim.subscribeConsentOf(ACCOUNT.appId, OPENID, 'demo_subscribe_once')).toMatchObject({ canSend: false });
    expect(sim.interactions.map((i) => i.event)).toEqual(['subscribe_msg_popup_event', 'subscribe_msg_popup_event']);
    await waitFor(() => echo.replies.length === 2, { message: 'the echo account opened both pushes' });
  });

  it('send subscribe-change rejects by default, and subscribe-* needs a template id', async () => {
    const { sim, state } = await startRig();
    sim.subscribeConsent(ACCOUNT.appId, OPENID, 'demo_subscribe_long', 'accept');
    const { out } = await runCli(state, ['send', 'subscribe-change', 'demo_subscribe_long', '--openid', OPENID]);
    expect(out[0]).toBe('interaction -> demo_subscribe_long reject: long-term, sends refused (43101)');
    await expect(runCli(state, ['send', 'subscribe-popup'])).rejects.toThrow(/template id/);
    await expect(runCli(state, ['send', 'subscribe-popup', 'x', '--accept', '--reject'])).rejects.toThrow(/not both/);
  });

  it('without a simulator URL it only delivers', async () => {
    const { sim, echo, state } = await startRig();
    const { simulatorUrl: _omitted, ...withoutSimulator } = state;
    const { out } = await runCli(withoutSimulator, ['send', 'text', 'hi', '--openid', OPENID]);
    expect(out).toEqual(['POST /wechat (safe) -> 200 success']);
    await waitFor(() => echo.replies.length === 1, { message: 'the echo account tried to reply' });
    expect(echo.replies).toEqual([45015]);
    expect(sim.interactions).toEqual([]);
  });

  it('the entry point, in another process, finds the simulator through .wxq/sandbox.json', async () => {
    const { sim, echo, state } = await startRig();
    const stateDir = await mkdtemp(join(tmpdir(), 'wxq-sim-state-'));
    onTestFinished(() => rm(stateDir, { recursive: true, force: true }));
    await writeSandboxState(stateDir, state);
    const cli = startTsProcess('libs/wechat-sim/src/cli/main.ts', {
      env: { PATH: process.env['PATH'], HOME: process.env['HOME'], WXQ_STATE_DIR: stateDir },
      args: ['send', 'text', 'from another process', '--openid', OPENID],
    });
    onTestFinished(async () => {
      await cli.stop();
    });
    expect(await cli.exited).toEqual({ code: 0, signal: null });
    expect(cli.stdoutLines()[0]).toMatch(/^interaction -> 5 sends open until /);
    expect(cli.stdoutLines().at(-1)).toMatch(/^reply -> .*"echo"/);
    expect(sim.interactions).toMatchObject([{ openId: OPENID, grant: 'message', outcome: 'applied' }]);
    await waitFor(() => echo.replies.length === 1, { message: 'the echo account saw its reply answered' });
    expect(echo.replies).toEqual([0]);
  }, 30_000); // a cold tsx start of the CLI takes a few seconds on a loaded machine
});
