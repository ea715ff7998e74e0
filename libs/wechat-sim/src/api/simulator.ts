import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import { type AddressInfo, BlockList, type Socket, isIP, isIPv4, isIPv6 } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { errorBody } from './errcodes.js';
import { type Fault, type SimulatorRequest, createFaultList } from './faults.js';
import { type Reply, jsonReply, readBody, writeReply } from './http-io.js';
import {
  INTERACTIONS_PATH,
  type Interaction,
  type RecordedInteraction,
  type SendWindow,
  parseInteractionRequest,
} from './interactions.js';
import { type MediaInput, createMediaStore } from './media.js';
import {
  SENDS_PATH,
  type Handled,
  type JsonBody,
  MAX_JSON_BODY_BYTES,
  type SentMessage,
  VIDEO_DOWNLOAD_PATH,
  createRoutes,
  videoDownload,
} from './routes.js';
import { createSendRules } from './send-rules.js';
import { type TokenMintCounts, createTokenRegistry } from './tokens.js';

/** Tokens live 7200 s unless told otherwise (docs/wechat-protocol.md §6.1). */
const DEFAULT_TOKEN_TTL_SECONDS = 7200;
/**
 * A user message allows 5 sends, a counted event 3 (docs/wechat-protocol.md §7.4; the notes assume 5, not the
 * 2021 rule's 20).
 */
const DEFAULT_MESSAGE_SENDS = 5;
const DEFAULT_EVENT_SENDS = 3;
const REDACTED = '[redacted]';

export interface SimulatorAccount {
  readonly appId: string;
  readonly appSecret: string;
}

export interface WechatApiSimulatorOptions {
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Default 0: any free port. */
  readonly port?: number;
  readonly accounts: readonly SimulatorAccount[];
  /** `expires_in` of new tokens; default 7200 (docs/wechat-protocol.md §6.1). */
  readonly tokenTtlSeconds?: number;
  /** What `getcallbackip` answers; default `['127.0.0.1']`, where simulated pushes come from. */
  readonly callbackIps?: readonly string[];
  /**
   * The accounts' IP whitelist (公众号后台 → 基本配置, docs/wechat-protocol.md §5.5): addresses and
   * CIDR ranges allowed to call the token endpoints; anyone else gets 40164 naming the address it
   * called from. Default: no whitelist, every caller allowed.
   */
  readonly ipWhitelist?: readonly string[];
  /**
   * Milliseconds since the epoch; default `Date.now`. Drives token and media lifetimes, send
   * windows, typing and the daily quota; `createManualClock()` gives one a test can advance.
   */
  readonly now?: () => number;
  /**
   * Enforce the customer-service send rules (docs/wechat-protocol.md §7.3, §7.4): a send to a user needs an
   * open window, opened by an interaction the simulator was told of (`recordInteraction`, `POST
   * /sim/interactions`, or `sendPush` with `simulator`), else 45015 (no window open) or 45047 (its sends
   * used up); Typing needs an exchange in the last 30 s (45080) and no Typing still showing (45081). Default
   * false: every well-formed send and typing succeeds, as before.
   */
  readonly enforceQuota?: boolean;
  /**
   * Sends per window with `enforceQuota` (docs/wechat-protocol.md §7.4): default 5 after a user message, 3
   * after a counted event.
   */
  readonly quota?: { readonly messageSends?: number; readonly eventSends?: number };
  /**
   * The account's daily call quota for `message/custom/send`, in successful sends: past it, sends
   * answer 45009 until `now()` passes midnight Beijing time (docs/wechat-protocol.md §7.5). Applies with or without
   * `enforceQuota`; default none.
   */
  readonly dailySendQuota?: number;
}

/** One request and how the simulator answered it. */
export interface SimulatorCall extends SimulatorRequest {
  /** The account, from the token or the appid, when the simulator could tell. */
  readonly appId: string | null;
  /** null when the connection was dropped. */
  readonly httpStatus: number | null;
  /** 0 for success; null when the answer carried none (dropped, a bare 5xx). */
  readonly errcode: number | null;
  /** Whether an injected fault decided the answer (latency alone does not count). */
  readonly faulted: boolean;
}

export interface WechatApiSimulator {
  /** Base URL, e.g. `http://127.0.0.1:40123`, to use instead of `https://api.weixin.qq.com`. */
  readonly url: string;
  /** Every request, in the order they were answered. */
  readonly calls: readonly SimulatorCall[];
  /** Accepted customer-service messages, in order. */
  readonly sends: readonly SentMessage[];
  /** The interactions the simulator was told of, in order, with what each did. */
  readonly interactions: readonly RecordedInteraction[];
  /**
   * Tells the simulator a user acted: the push WeChat sent about it, typed (`parseInboundXml`,
   * `createMessage`). Its MsgType, Event, CreateTime and FromUserName decide the window (docs/wechat-protocol.md §7.4).
   * The same push told twice is one action. Recorded with or without `enforceQuota`.
   * @throws RangeError for an account the simulator does not serve; TypeError for a message
   *   without FromUserName or a CreateTime in Unix seconds
   */
  recordInteraction(interaction: Interaction): RecordedInteraction;
  /**
   * The user's send windows open at `now()`, the one closing first first (empty when none is).
   * @throws RangeError for an account the simulator does not serve
   */
  sendWindows(appId: string, openId: string): readonly SendWindow[];
  /** Tokens minted by each endpoint, for one account or all. */
  tokenMints(appId?: string): TokenMintCounts;
  /** Every token of the account (or all) answers 40001 from now on, as after a leak or a force refresh elsewhere. */
  invalidateTokens(appId?: string): void;
  /** Every live token of the account (or all) answers 42001 from now on. */
  expireTokens(appId?: string): void;
  /** @throws RangeError for a fault that could never apply */
  injectFault(fault: Fault): void;
  clearFaults(): void;
  /** Media `media/get` serves, as a user's upload would be; returns its media_id. */
  addMedia(media: MediaInput): string;
  /**
   * Resolves with the sends once there are at least `count`.
   * @throws Error after `timeoutMs`, or when the simulator stops first
   */
  waitForSends(count: number, timeoutMs: number): Promise<readonly SentMessage[]>;
  /** Forgets calls, sends, tokens, media, faults, interactions, windows and quotas; the listener stays. */
  reset(): void;
  /** Closes the listener and every connection; idempotent. */
  stop(): Promise<void>;
}

interface Waiter {
  readonly count: number;
  readonly resolve: (sends: readonly SentMessage[]) => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
}

/**
 * Starts the WeChat API simulator on a loopback port: token, stable_token, customer-service send and typing,
 * getcallbackip, media get/upload, with fault injection. Answers as WeChat does (HTTP 200 with an errcode),
 * from docs/wechat-protocol.md. With `enforceQuota: true` it also keeps the send windows of
 * docs/wechat-protocol.md §7.4 and the typing rules of docs/wechat-protocol.md §7.3, so a client that sends
 * without a user's interaction gets WeChat's 45015 / 45047; off by default.
 * @throws TypeError for bad options; the listen error when the port is taken
 */
export async function startWechatApiSimulator(options: WechatApiSimulatorOptions): Promise<WechatApiSimulator> {
  const now = options.now ?? Date.now;
  const secrets = accountSecrets(options.accounts);
  const ttlSeconds = options.tokenTtlSeconds ?? DEFAULT_TOKEN_TTL_SECONDS;
  if (!(Number.isInteger(ttlSeconds) && ttlSeconds > 0))
    throw new TypeError(`tokenTtlSeconds must be a positive integer: ${ttlSeconds}`);
  const messageSends = options.quota?.messageSends ?? DEFAULT_MESSAGE_SENDS;
  const eventSends = options.quota?.eventSends ?? DEFAULT_EVENT_SENDS;
  for (const [name, value] of [
    ['quota.messageSends', messageSends],
    ['quota.eventSends', eventSends],
  ] as const) {
    if (!(Number.isSafeInteger(value) && value > 0))
      throw new TypeError(`${name} must be a positive integer: ${value}`);
  }
  const { dailySendQuota } = options;
  if (dailySendQuota !== undefined && !(Number.isSafeInteger(dailySendQuota) && dailySendQuota >= 0)) {
    throw new TypeError(`dailySendQuota must be a whole number ≥ 0: ${dailySendQuota}`);
  }
  const rules = createSendRules({ enforce: options.enforceQuota ?? false, messageSends, eventSends, dailySendQuota });

  const tokens = createTokenRegistry(ttlSeconds);
  const media = createMediaStore();
  const faults = createFaultList();
  const calls: SimulatorCall[] = [];
  let sends: SentMessage[] = [];
  let interactions: RecordedInteraction[] = [];
  const waiters = new Set<Waiter>();
  const sockets = new Set<Socket>();
  const stopping = new AbortController();
  let baseUrl = '';

  const routes = createRoutes({
    secrets,
    tokens,
    media,
    callbackIps: [...(options.callbackIps ?? ['127.0.0.1'])],
    ipWhitelist: options.ipWhitelist === undefined ? undefined : compileIpList(options.ipWhitelist),
    baseUrl: () => baseUrl,
    rules,
    onSend(sent) {
      sends.push(sent);
      for (const waiter of waiters) {
        if (sends.length >= waiter.count)
          settle(waiter, () => {
            waiter.resolve([...sends]);
          });
      }
    },
  });

  function settle(waiter: Waiter, finish: () => void): void {
    clearTimeout(waiter.timer);
    waiters.delete(waiter);
    finish();
  }

  /** For calls a fault answered: the account the token or appid names, as the real handler would see it. */
  function accountOf(query: URLSearchParams, json: JsonBody): string | null {
    const token = query.get('access_token');
    if (token !== null) return tokens.check(token, now()).appId;
    const appid =
      query.get('appid') ?? (json.kind === 'json' && isObject(json.value) ? json.value['appid'] : undefined);
    return typeof appid === 'string' && secrets.has(appid) ? appid : null;
  }

  function recordInteraction(interaction: Interaction): RecordedInteraction {
    if (!secrets.has(interaction.appId)) throw new RangeError(`no such account in the simulator: ${interaction.appId}`);
    const recorded = rules.record(interaction, now());
    interactions.push(recorded);
    return recorded;
  }

  function requireAccount(appId: string | undefined): readonly string[] {
    if (appId === undefined) return [...secrets.keys()];
    if (!secrets.has(appId)) throw new RangeError(`no such account in the simulator: ${appId}`);
    return [appId];
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const time = now();
    // WeChat's servers date their answers; clients read clock skew from it (the simulator's clock here).
    res.setHeader('date', new Date(time).toUTCString());
    const url = new URL(req.url ?? '/', 'http://simulator.invalid');
    const path = url.pathname;
    const read = await readBody(req, routes.get(path)?.maxBodyBytes ?? MAX_JSON_BODY_BYTES);
    const json: JsonBody = read.tooLarge ? { kind: 'empty' } : parseJson(read.body);
    const request: SimulatorRequest = {
      method: req.method ?? 'GET',
      path,
      query: recordedQuery(url.searchParams),
      body: json.kind === 'json' ? redactSecret(json.value) : undefined,
      time,
    };
    const record = (answer: Pick<SimulatorCall, 'appId' | 'httpStatus' | 'errcode' | 'faulted'>): void => {
      calls.push({ ...request, ...answer });
    };

    const fault = faults.take(request);
    if (fault?.latencyMs !== undefined && fault.latencyMs > 0) {
      try {
        await delay(fault.latencyMs, undefined, { signal: stopping.signal });
      } catch {
        req.socket.destroy();
        return;
      }
    }
    if (fault?.dropConnection === true) {
      record({ appId: accountOf(url.searchParams, json), httpStatus: null, errcode: null, faulted: true });
      req.socket.destroy();
      return;
    }
    if (fault !== undefined && (fault.httpStatus !== undefined || fault.errcode !== undefined)) {
      const reply = faultReply(fault);
      record({
        appId: accountOf(url.searchParams, json),
        httpStatus: reply.status,
        errcode: reply.errcode,
        faulted: true,
      });
      writeReply(res, reply);
      return;
    }

    // Synchronous routes answer in the same turn that records their send, so a test that saw the
    // send also sees the call; only an upload (multipart parsing) awaits.
    const answered = answer(req, url, read.tooLarge ? undefined : read.body, json);
    const { reply, appId } = answered instanceof Promise ? await answered : answered;
    record({ appId, httpStatus: reply.status, errcode: reply.errcode, faulted: false });
    writeReply(res, reply);
  }

  /** The real result: 413, the route's answer, a wrong-method errcode, a video download or 404. */
  function answer(
    req: IncomingMessage,
    url: URL,
    body: Buffer | undefined,
    json: JsonBody,
  ): Handled | Promise<Handled> {
    const route = routes.get(url.pathname);
    if (url.pathname === INTERACTIONS_PATH) return interactionAnswer(req, url, body);
    if (body === undefined) return { reply: jsonReply(errorBody(45002), 45002, 413), appId: null };
    if (route !== undefined && route.method === req.method) {
      return route.handle({
        query: url.searchParams,
        body,
        json,
        contentType: req.headers['content-type'],
        nowMs: now(),
        clientIp: plainIp(req.socket.remoteAddress ?? ''),
      });
    }
    if (route !== undefined) {
      const errcode = route.method === 'GET' ? 43001 : 43002;
      return { reply: jsonReply(errorBody(errcode), errcode), appId: null };
    }
    if (url.pathname === SENDS_PATH && req.method === 'GET') {
      // Simulator-only: what reached "WeChat", for the CLI and the sandbox (never a real API path).
      const after = Math.max(0, Number.parseInt(url.searchParams.get('after') ?? '0', 10) || 0);
      return { reply: jsonReply({ total: sends.length, sends: sends.slice(after) }, null), appId: null };
    }
    if (url.pathname.startsWith(VIDEO_DOWNLOAD_PATH) && req.method === 'GET') {
      return {
        reply: videoDownload(media, safeDecode(url.pathname.slice(VIDEO_DOWNLOAD_PATH.length)), now()),
        appId: null,
      };
    }
    return { reply: jsonReply(errorBody(40066), 40066, 404), appId: null };
  }

  /** Simulator-only: a user action told over HTTP, by the CLI or a sandbox in another process. */
  function interactionAnswer(req: IncomingMessage, url: URL, body: Buffer | undefined): Handled {
    const refuse = (status: number, error: string, headers: Readonly<Record<string, string>> = {}): Handled => {
      const reply = jsonReply({ error }, null, status);
      return { reply: { ...reply, headers: { ...reply.headers, ...headers } }, appId: null };
    };
    if (req.method !== 'POST') return refuse(405, `${INTERACTIONS_PATH} takes POST`, { allow: 'POST' });
    if (body === undefined) return refuse(413, `a push is at most ${MAX_JSON_BODY_BYTES} bytes`);
    const parsed = parseInteractionRequest(url.searchParams, req.headers['content-type'], body, (appId) =>
      secrets.has(appId),
    );
    if (!parsed.ok) return refuse(parsed.status, parsed.error);
    try {
      return { reply: jsonReply({ interaction: recordInteraction(parsed) }, null), appId: parsed.appId };
    } catch (error) {
      return refuse(400, error instanceof Error ? error.message : 'unusable interaction');
    }
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => {
      // A bug or an aborted upload must never take the simulator down; WeChat's own answer is -1.
      if (!res.headersSent && !res.destroyed) writeReply(res, jsonReply(errorBody(-1), -1, 500));
      else res.destroy();
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.on('clientError', (_error, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    else socket.destroy();
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  baseUrl = `http://${host}:${address.port}`;

  let stopped: Promise<void> | undefined;
  return {
    url: baseUrl,
    get calls() {
      return [...calls];
    },
    get sends() {
      return [...sends];
    },
    get interactions() {
      return [...interactions];
    },
    recordInteraction,
    sendWindows(appId, openId) {
      requireAccount(appId);
      return rules.windows(appId, openId, now());
    },
    tokenMints(appId) {
      if (appId !== undefined) requireAccount(appId);
      return tokens.mints(appId);
    },
    invalidateTokens(appId) {
      for (const id of requireAccount(appId)) tokens.invalidate(id);
    },
    expireTokens(appId) {
      const nowMs = now();
      for (const id of requireAccount(appId)) tokens.expire(id, nowMs);
    },
    injectFault: (fault) => {
      faults.add(fault);
    },
    clearFaults: () => {
      faults.clear();
    },
    addMedia: (input) => media.add(input, now()).mediaId,
    waitForSends(count, timeoutMs) {
      if (sends.length >= count) return Promise.resolve([...sends]);
      if (stopped !== undefined) return Promise.reject(new Error('the simulator is stopped'));
      return new Promise((resolve, reject) => {
        const waiter: Waiter = {
          count,
          resolve,
          reject,
          timer: setTimeout(() => {
            settle(waiter, () => {
              reject(new Error(`waited ${timeoutMs} ms for ${count} sends, saw ${sends.length}`));
            });
          }, timeoutMs),
        };
        waiters.add(waiter);
      });
    },
    reset() {
      calls.length = 0;
      sends = [];
      interactions = [];
      rules.clear();
      tokens.clear();
      media.clear();
      faults.clear();
    },
    stop() {
      stopped ??= new Promise<void>((resolve) => {
        stopping.abort();
        for (const waiter of waiters)
          settle(waiter, () => {
            waiter.reject(new Error('the simulator stopped'));
          });
        server.close(() => {
          resolve();
        });
        for (const socket of sockets) socket.destroy();
      });
      return stopped;
    },
  };
}

/** Dual-stack sockets report IPv4 callers as ::ffff:a.b.c.d. */
function plainIp(address: string): string {
  return address.startsWith('::ffff:') && isIPv4(address.slice(7)) ? address.slice(7) : address;
}

/** @throws TypeError for an entry that is not an address or a CIDR range */
function compileIpList(entries: readonly string[]): (ip: string) => boolean {
  const list = new BlockList();
  for (const entry of entries) {
    const [address = '', bits] = entry.split('/');
    const family = isIPv4(address) ? 'ipv4' : isIPv6(address) ? 'ipv6' : undefined;
    const prefix = Number(bits);
    if (family === undefined || (bits !== undefined && !(Number.isInteger(prefix) && prefix >= 0))) {
      throw new TypeError(`ipWhitelist: not an address or CIDR range: ${entry}`);
    }
    if (bits === undefined) list.addAddress(address, family);
    else list.addSubnet(address, prefix, family);
  }
  return (ip) => isIP(ip) !== 0 && list.check(ip, isIPv4(ip) ? 'ipv4' : 'ipv6');
}

function accountSecrets(accounts: readonly SimulatorAccount[]): ReadonlyMap<string, string> {
  const secrets = new Map<string, string>();
  for (const { appId, appSecret } of accounts) {
    if (appId === '' || appSecret === '')
      throw new TypeError('every simulator account needs an appId and an appSecret');
    if (secrets.has(appId)) throw new TypeError(`duplicate simulator account: ${appId}`);
    secrets.set(appId, appSecret);
  }
  return secrets;
}

function faultReply(fault: Fault): Reply {
  if (fault.errcode !== undefined) return jsonReply(errorBody(fault.errcode), fault.errcode, fault.httpStatus ?? 200);
  const status = fault.httpStatus ?? 500;
  // What a proxy in front of the API answers: HTML, no errcode.
  return {
    status,
    headers: { 'content-type': 'text/html' },
    body: `<html><body><h1>${status}</h1></body></html>`,
    errcode: null,
  };
}

function parseJson(body: Buffer): JsonBody {
  const text = body.toString('utf8');
  if (text.trim() === '') return { kind: 'empty' };
  try {
    return { kind: 'json', value: JSON.parse(text) as unknown };
  } catch {
    return { kind: 'invalid' };
  }
}

/** The query as recorded: never the access_token, never the secret. */
function recordedQuery(params: URLSearchParams): Readonly<Record<string, string>> {
  // The first of repeated parameters, as URLSearchParams.get reads them; fromEntries keeps
  // `__proto__` an ordinary key.
  const names = [...new Set(params.keys())].filter((name) => name !== 'access_token');
  return Object.fromEntries(names.map((name) => [name, name === 'secret' ? REDACTED : (params.get(name) ?? '')]));
}

function redactSecret(body: unknown): unknown {
  return isObject(body) && Object.hasOwn(body, 'secret') ? { ...body, secret: REDACTED } : body;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function isObject(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
