import { readFile } from 'node:fs/promises';
import {
  type InboundMessage,
  type PushMode,
  type XmlRecord,
  createMessageCrypto,
  parseXml,
  verifyMsgSignature,
} from '@wxq/wechat';
import { Command, InvalidArgumentError, Option } from 'commander';
import type { ConsentChange, RecordedInteraction } from '../api/interactions.js';
import type { SentMessage } from '../api/families/customer-service.js';
import { type Push, buildHandshake, buildPush } from '../push/build-push.js';
import { InteractionRefusedError, createInteractionClient } from '../push/interaction-client.js';
import { type MessageOptions, type UserMessageOptions, createMessage } from '../push/messages.js';
import { sendHandshake, sendPush } from '../push/send-push.js';
import type { SandboxState } from './sandbox-state.js';

/** Where the CLI prints, so tests can read it. */
export interface CliIo {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
}

interface Target {
  readonly gatewayUrl: string;
  readonly path: string;
  readonly simulatorUrl: string | undefined;
  readonly account: { readonly appId: string; readonly token: string; readonly encodingAESKey?: string };
}

interface SendOptions {
  readonly mode?: PushMode;
  readonly accept?: boolean;
  readonly reject?: boolean;
  readonly scene?: string;
  readonly openid?: string;
  readonly msgId?: string;
  readonly repeat: number;
  readonly wait: boolean;
  readonly timeout: number;
  readonly retry: boolean;
  readonly patience: number;
}

/** WeChat delivers a push at most three times (docs/wechat-protocol.md §5.1). */
const MAX_DELIVERIES = 3;

export const MESSAGE_TYPES = [
  'text',
  'image',
  'voice',
  'video',
  'shortvideo',
  'location',
  'link',
  'subscribe',
  'unsubscribe',
  'scan',
  'location-report',
  'click',
  'view',
  'scancode_push',
  'scancode_waitmsg',
  'pic_sysphoto',
  'pic_photo_or_album',
  'pic_weixin',
  'location_select',
  'subscribe-popup',
  'subscribe-change',
] as const;
type MessageType = (typeof MESSAGE_TYPES)[number];

/** The user's answer to subscribe templates (docs/wechat-protocol.md §12.1): no reply is expected. */
const CONSENT_TYPES: ReadonlySet<MessageType> = new Set(['subscribe-popup', 'subscribe-change']);

/**
 * `npm run sim -- …`: sends pushes to a gateway as WeChat would (signed; plaintext, compatible or
 * safe), and in the sandbox shows the reply that reached the simulated API. With a simulator URL
 * (from the sandbox state file or `--simulator`), `send` and `replay` first tell the simulator of
 * the user action, which opens the user's send window there (docs/wechat-protocol.md §7.4).
 * Defaults come from the sandbox state file; flags override them.
 */
export function createSimCli(state: SandboxState | undefined, io: CliIo): Command {
  const program = new Command('sim')
    .description('Send WeChat pushes to a wxq gateway, as WeChat would')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => {
        io.out(s.trimEnd());
      },
      writeErr: (s) => {
        io.err(s.trimEnd());
      },
    })
    .option('--gateway <url>', 'gateway base URL', state?.gatewayUrl)
    .option('--path <path>', 'callback path', '/wechat')
    .option('--appid <appid>', 'account AppID', state?.account.appId)
    .option('--token <token>', 'callback Token', state?.account.token)
    .option('--aes-key <key>', 'EncodingAESKey (compatible and safe modes)', state?.account.encodingAESKey)
    .option('--simulator <url>', 'the WeChat API simulator, to show replies', state?.simulatorUrl);

  const target = (): Target => {
    const o = program.opts<{
      gateway?: string;
      path: string;
      appid?: string;
      token?: string;
      aesKey?: string;
      simulator?: string;
    }>();
    if (o.gateway === undefined || o.appid === undefined || o.token === undefined) {
      throw new InvalidArgumentError(
        'no sandbox is running here: start one with `npm start`, or pass --gateway, --appid and --token',
      );
    }
    return {
      gatewayUrl: o.gateway,
      path: o.path,
      simulatorUrl: o.simulator,
      account:
        o.aesKey === undefined
          ? { appId: o.appid, token: o.token }
          : { appId: o.appid, token: o.token, encodingAESKey: o.aesKey },
    };
  };

  const sendOptions = (command: Command) =>
    command
      .addOption(
        new Option('--mode <mode>', 'how the push travels (default: safe when an AES key is known)').choices([
          'plaintext',
          'compatible',
          'safe',
        ]),
      )
      .option('--openid <openid>', 'the sending user (default: random)')
      .option('--msg-id <id>', 'MsgId (default: random, above 2^53)')
      .option('--repeat <n>', 'send the same push n times (WeChat retries; see dedup)', positiveInt, 1)
      .option('--no-wait', 'do not wait for the reply at the simulator')
      .option('--timeout <ms>', 'how long to wait for the reply', positiveInt, 10_000)
      .option('--retry', "play WeChat's retries: no answer in time, deliver again with a fresh nonce (3 deliveries)")
      .option('--patience <ms>', 'how long WeChat waits for an answer before it gives up', positiveInt, 5_000);

  sendOptions(
    program
      .command('send')
      .description(`send a message or event: ${MESSAGE_TYPES.join(', ')}`)
      .argument('<type>', 'message or event type', (value: string) => {
        if (!(MESSAGE_TYPES as readonly string[]).includes(value))
          throw new InvalidArgumentError(`one of ${MESSAGE_TYPES.join(', ')}`);
        return value as MessageType;
      })
      .argument('[value]', 'text content, scene, menu key, URL, scan result, or template ids (a,b) for subscribe-*')
      .option('--accept', 'subscribe-popup / subscribe-change: the user accepts (default for a popup)')
      .option('--reject', 'subscribe-popup / subscribe-change: the user rejects (default for a change)')
      .option('--scene <n>', 'subscribe-popup: PopupScene, 1 H5 page, 2 article', '1'),
  ).action(async (type: MessageType, value: string | undefined, options: SendOptions) => {
    const t = target();
    if (options.accept === true && options.reject === true)
      throw new InvalidArgumentError('--accept or --reject, not both');
    const userOptions = {
      ...(options.openid === undefined ? {} : { openid: options.openid }),
      ...(options.msgId === undefined ? {} : { msgId: options.msgId }),
    };
    const message = CONSENT_TYPES.has(type)
      ? buildConsentMessage(type, value, options, userOptions)
      : buildMessage(type, value, userOptions);
    // A subscribe answer gets no reply: nothing to wait for at the simulator.
    await deliver(t, message, CONSENT_TYPES.has(type) ? { ...options, wait: false } : options, io);
  });

  sendOptions(
    program
      .command('replay')
      .description('send a captured push XML file (re-signed, in the chosen mode)')
      .argument('<file>', 'XML file'),
  ).action(async (file: string, options: SendOptions) => {
    const record = parseXml(await readFile(file));
    await deliver(target(), record, options, io);
  });

  program
    .command('handshake')
    .description('the GET with echostr WeChat sends when the callback URL is saved')
    .action(async () => {
      const t = target();
      const handshake = buildHandshake({ token: t.account.token });
      const answer = await sendHandshake(t.gatewayUrl, t.path, handshake);
      io.out(
        `GET ${t.path} -> ${answer.status} ${answer.body}${answer.body === handshake.echostr ? ' (echostr matches)' : ''}`,
      );
    });
  return program;
}

async function deliver(t: Target, message: InboundMessage | XmlRecord, options: SendOptions, io: CliIo): Promise<void> {
  const mode = options.mode ?? (t.account.encodingAESKey === undefined ? 'plaintext' : 'safe');
  const before = t.simulatorUrl === undefined ? 0 : (await fetchSends(t.simulatorUrl, 0)).total;
  const push = buildPush({ account: t.account, mode, message });
  // Told once, before the push leaves: WeChat opens the window when the user acts, and a
  // repeated push is WeChat retrying the same action (docs/wechat-protocol.md §5.1), not a new one.
  if (t.simulatorUrl !== undefined) await tellSimulator(t.simulatorUrl, push, io);
  let passive = false;
  for (let i = 0; i < options.repeat; i += 1) {
    // WeChat's retry of a push it got no answer to is the same message with a fresh nonce and timestamp.
    for (let delivery = 1; delivery <= (options.retry ? MAX_DELIVERIES : 1); delivery += 1) {
      const sent = delivery === 1 ? push : buildPush({ account: t.account, mode, message });
      const answer = await sendPush(t.gatewayUrl, t.path, sent, { timeoutMs: options.patience }).catch(
        (error: unknown) => {
          if (error instanceof Error && error.name === 'TimeoutError') return undefined;
          throw error;
        },
      );
      if (answer === undefined) {
        io.out(`POST ${t.path} (${mode}) -> no answer within ${options.patience} ms`);
        continue;
      }
      if (answer.body.startsWith('<xml>')) {
        passive = true;
        io.out(`POST ${t.path} (${mode}) -> ${answer.status} passive reply`);
        io.out(`passive reply -> ${openPassiveReply(t, sent, answer.body)}`);
      } else {
        io.out(`POST ${t.path} (${mode}) -> ${answer.status} ${answer.body}`);
      }
      break;
    }
  }
  // A push answered with its reply: the reply did not go through the API (docs/passive-replies.md).
  if (passive) return;
  const user = typeof message['FromUserName'] === 'string' ? message['FromUserName'] : undefined;
  if (!options.wait || t.simulatorUrl === undefined || user === undefined) return;
  const reply = await waitForReply(t.simulatorUrl, before, user, options.timeout);
  io.out(
    reply === undefined
      ? `no reply to ${user} reached the simulator within ${options.timeout} ms${staleHint(message)}`
      : `reply -> ${JSON.stringify(reply.message)}`,
  );
}

/**
 * The passive reply's XML: as answered for a plaintext push, decrypted (after checking its
 * MsgSignature with the account's Token, docs/wechat-protocol.md §3.5) for an encrypted one.
 */
function openPassiveReply(t: Target, push: Push, body: string): string {
  const outer = parseXml(body);
  const encrypt = outer['Encrypt'];
  if (typeof encrypt !== 'string') return body;
  if (t.account.encodingAESKey === undefined) return `${body} (encrypted; pass --aes-key to read it)`;
  const field = (name: string) => (typeof outer[name] === 'string' ? outer[name] : '');
  const signed = verifyMsgSignature({
    token: t.account.token,
    timestamp: field('TimeStamp'),
    nonce: field('Nonce'),
    encrypt,
    msgSignature: field('MsgSignature'),
  });
  const nonceEchoed = field('Nonce') === new URLSearchParams(push.query).get('nonce');
  const crypto = createMessageCrypto({ appId: t.account.appId, encodingAESKey: t.account.encodingAESKey });
  let xml: string;
  try {
    xml = crypto.decrypt(encrypt).message;
  } catch (error) {
    return `${body} (does not decrypt: ${error instanceof Error ? error.message : String(error)})`;
  }
  return `${xml}${signed && nonceEchoed ? '' : ' (MsgSignature or Nonce does not match: WeChat would refuse it)'}`;
}

/** A simulator that refuses the push (an odd capture, an older simulator) is reported, and the push still goes. */
async function tellSimulator(simulatorUrl: string, push: Push, io: CliIo): Promise<void> {
  if (push.interaction === undefined) {
    io.err('not recorded at the simulator: the push does not read as a message');
    return;
  }
  try {
    io.out(
      `interaction -> ${describeInteraction(await createInteractionClient(simulatorUrl).recordInteraction(push.interaction))}`,
    );
  } catch (error) {
    if (!(error instanceof InteractionRefusedError)) throw error;
    io.err(`not recorded at the simulator: ${error.reason}`);
  }
}

function describeInteraction(recorded: RecordedInteraction): string {
  if (recorded.consent !== undefined) return recorded.consent.map(describeConsent).join('; ');
  if (recorded.outcome === 'duplicate') return 'already recorded (the same push)';
  if (recorded.outcome === 'superseded') return "older than the user's latest action there: nothing changes";
  switch (recorded.grant) {
    case 'message':
    case 'event':
      return recorded.window === undefined
        ? 'opens no send window: its CreateTime is past the window'
        : `${recorded.window.sendsLeft} sends open until ${new Date(recorded.window.closesAt).toISOString()}`;
    case 'close':
      return "closes the user's send windows";
    case 'none':
      return 'opens no send window';
  }
}

function describeConsent(change: ConsentChange): string {
  const { templateId, status, consent } = change;
  if (change.outcome === 'ignored' || consent === undefined)
    return `${templateId} ${status}: ignored (not an accept or reject of one of the account's subscribe templates)`;
  const now = consent.longTerm
    ? `long-term, ${consent.canSend ? 'sends allowed' : 'sends refused (43101)'}`
    : `${consent.credits} send${consent.credits === 1 ? '' : 's'} allowed`;
  return `${templateId} ${status}${change.outcome === 'duplicate' ? ' (already recorded)' : ''}: ${now}`;
}

/** WeChat allows replies for 48 h after a message (docs/wechat-protocol.md §7.4); an old capture opens no window. */
function staleHint(message: InboundMessage | XmlRecord): string {
  const created = Number(message['CreateTime']);
  const hours = (Date.now() / 1000 - created) / 3600;
  return Number.isFinite(created) && hours > 48
    ? ` (its CreateTime is ${Math.floor(hours)} h old: past WeChat's 48 h reply window)`
    : '';
}

async function waitForReply(
  simulatorUrl: string,
  after: number,
  user: string,
  timeoutMs: number,
): Promise<SentMessage | undefined> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const { sends } = await fetchSends(simulatorUrl, after);
    const reply = sends.find((s) => s.message.touser === user);
    if (reply !== undefined) return reply;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return undefined;
}

async function fetchSends(simulatorUrl: string, after: number): Promise<{ total: number; sends: SentMessage[] }> {
  const response = await fetch(`${simulatorUrl}/sim/sends?after=${after}`, { signal: AbortSignal.timeout(5_000) });
  return (await response.json()) as { total: number; sends: SentMessage[] };
}

function buildMessage(type: MessageType, value: string | undefined, o: UserMessageOptions): InboundMessage {
  const m: MessageOptions = o;
  switch (type) {
    case 'text':
      return createMessage.text(value ?? 'hello', o);
    // The user messages that take nothing but their options: the CLI's name is createMessage's.
    case 'image':
    case 'voice':
    case 'video':
    case 'shortvideo':
    case 'location':
    case 'link':
      return createMessage[type](o);
    case 'subscribe':
      return createMessage.subscribe(value === undefined ? m : { ...m, scene: value });
    case 'unsubscribe':
      return createMessage.unsubscribe(m);
    case 'scan':
      return createMessage.scan(value ?? '42', m);
    case 'location-report':
      return createMessage.locationReport(m);
    case 'click':
      return createMessage.click(value ?? 'MENU_KEY', m);
    case 'view':
      return createMessage.view(value ?? 'https://example.com/', m);
    case 'scancode_push':
    case 'scancode_waitmsg':
      return createMessage.scancode(type, value === undefined ? m : { ...m, scanResult: value });
    case 'pic_sysphoto':
    case 'pic_photo_or_album':
    case 'pic_weixin':
      return createMessage.pic(type, m);
    case 'location_select':
      return createMessage.locationSelect(m);
    case 'subscribe-popup':
    case 'subscribe-change':
      throw new InvalidArgumentError(`${type} is built by buildConsentMessage`);
  }
}

/** A subscribe popup or settings change for the comma-separated template ids (docs/wechat-protocol.md §12.1). */
function buildConsentMessage(
  type: MessageType,
  value: string | undefined,
  options: SendOptions,
  m: MessageOptions,
): InboundMessage {
  const templateIds = (value ?? '')
    .split(',')
    .map((id) => id.trim())
    .filter((id) => id !== '');
  if (templateIds.length === 0) throw new InvalidArgumentError(`${type} needs the template id(s): ${type} TEMPLATE_ID`);
  const popup = type === 'subscribe-popup';
  const status = options.reject === true || (!popup && options.accept !== true) ? 'reject' : 'accept';
  const scene = options.scene ?? '1';
  return popup
    ? createMessage.subscribeMsgPopup(
        templateIds.map((templateId) => ({ templateId, status, scene })),
        m,
      )
    : createMessage.subscribeMsgChange(
        templateIds.map((templateId) => ({ templateId, status })),
        m,
      );
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('a positive whole number');
  return n;
}
