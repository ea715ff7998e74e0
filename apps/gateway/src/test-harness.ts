// Test-only: a gateway started in-process with env overrides, a log sink, a view of its queue on a
// connection of the test's own, and signed pushes to send it. Excluded from the build.
import { randomUUID } from 'node:crypto';
import { type Agent, type IncomingHttpHeaders, type OutgoingHttpHeaders, request } from 'node:http';
import { Writable } from 'node:stream';
import { type Account, type GatewayConfig, loadGatewayConfig } from '@wxq/config';
import { createLogger } from '@wxq/logging';
import { QUEUES, inboundJobId } from '@wxq/queue';
import { type RedisClient, createRedis } from '@wxq/redis';
import { buildSafeModeBody, cdata, computeDedupKey, computeSignature, createMessageCrypto, parseInboundXml, sealMessage } from '@wxq/wechat';
import { waitFor } from '@wxq/testing';
import { Queue } from 'bullmq';
import { inject, onTestFinished } from 'vitest';
import { type RunningGateway, startGateway } from './gateway.js';

/** The default account: an AppID, a console-valid Token and an EncodingAESKey (plaintext still accepted). */
export const APP_ID = 'wx1234567890abcdef';
export const TOKEN = 'gatewayTestToken42';
export const AES_KEY = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';
export const ACCOUNT_NAME = 'gh_0123456789ab';

export interface TestAccount {
  readonly appId: string;
  readonly token: string;
  readonly encodingAESKey?: string | undefined;
}

export const DEFAULT_ACCOUNT: TestAccount = { appId: APP_ID, token: TOKEN, encodingAESKey: AES_KEY };

// ---------------------------------------------------------------------------------------------
// Log lines

export type LogLine = Readonly<Record<string, unknown>>;

export interface LogSink {
  readonly stream: Writable;
  /** Every line written so far, parsed. */
  lines(): LogLine[];
  /** Every line written so far, as written. */
  text(): string;
}

/** A pino destination that keeps what it is given (pino `test/helper.js` `sink()`). */
export function createLogSink(): LogSink {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString('utf8'));
      done();
    },
  });
  const text = () => chunks.join('');
  return {
    stream,
    text,
    lines: () =>
      text()
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as LogLine),
  };
}

// ---------------------------------------------------------------------------------------------
// HTTP

export interface HttpAnswer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly bytes: Buffer;
}

export interface SendOptions {
  readonly method?: string;
  readonly headers?: OutgoingHttpHeaders;
  readonly body?: string | Buffer;
  /** Default: a connection of its own (`agent: false`). */
  readonly agent?: Agent;
}

/** One HTTP request with node:http (no fetch: tests need raw bodies, chunking and agents). */
export function send(url: string, options: SendOptions = {}): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method ?? 'GET', headers: options.headers, agent: options.agent ?? false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.once('error', reject);
      res.once('end', () => {
        const bytes = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: bytes.toString('utf8'), bytes });
      });
    });
    req.once('error', reject);
    req.end(options.body);
  });
}

/** Basic auth header value. */
export function basicAuth(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`;
}

// ---------------------------------------------------------------------------------------------
// Pushes

export interface SignedPush {
  /** The query string, without `?`. */
  readonly query: string;
  readonly body: string | Buffer;
}

export interface SignOptions {
  readonly account?: TestAccount;
  /** Unix seconds; default now. */
  readonly timestamp?: string;
  readonly nonce?: string;
}

let sequence = 0;

/** A MsgId of 19 digits, unique in this process (like WeChat's, above 2^53). */
export function nextMsgId(): string {
  sequence += 1;
  return `7${String(Date.now()).padStart(13, '0')}${String(sequence).padStart(5, '0')}`;
}

export function nowSeconds(): string {
  return String(Math.floor(Date.now() / 1000));
}

export interface TextFields {
  readonly content?: string;
  readonly msgId?: string;
  readonly toUserName?: string;
  readonly fromUserName?: string;
  readonly createTime?: string;
}

/** A text message as WeChat pushes it (§4.2); a fresh MsgId unless one is given. */
export function textXml(fields: TextFields = {}): string {
  return (
    `<xml><ToUserName>${cdata(fields.toUserName ?? ACCOUNT_NAME)}</ToUserName>` +
    `<FromUserName>${cdata(fields.fromUserName ?? 'oTestUser0123456789abcdefgh')}</FromUserName>` +
    `<CreateTime>${fields.createTime ?? nowSeconds()}</CreateTime>` +
    `<MsgType><![CDATA[text]]></MsgType><Content>${cdata(fields.content ?? 'hello')}</Content>` +
    `<MsgId>${fields.msgId ?? nextMsgId()}</MsgId></xml>`
  );
}

/** The `signature`, `timestamp` and `nonce` of a handshake or plaintext push (§1). */
export function signatureParams(options: SignOptions = {}): URLSearchParams {
  const token = (options.account ?? DEFAULT_ACCOUNT).token;
  const timestamp = options.timestamp ?? nowSeconds();
  const nonce = options.nonce ?? String(Math.floor(Math.random() * 1e9));
  return new URLSearchParams({ signature: computeSignature([token, timestamp, nonce]), timestamp, nonce });
}

/** A GET handshake's query string. */
export function handshakeQuery(echostr: string, options: SignOptions = {}): string {
  const params = signatureParams(options);
  params.set('echostr', echostr);
  return params.toString();
}

/** A plaintext push: the body as is, signed with `signature` over the Token. */
export function plaintextPush(xml: string | Buffer, options: SignOptions = {}): SignedPush {
  const params = signatureParams(options);
  params.set('openid', 'oTestUser0123456789abcdefgh');
  return { query: params.toString(), body: xml };
}

/**
 * An encrypted push (§2.3): `safe` sends only ToUserName and Encrypt; `compatible` sends the
 * plaintext fields of `outerXml` (default: `xml`) beside Encrypt. `msg_signature` covers Encrypt.
 */
export function encryptedPush(
  xml: string,
  mode: 'safe' | 'compatible',
  options: SignOptions & { readonly outerXml?: string } = {},
): SignedPush {
  const account = options.account ?? DEFAULT_ACCOUNT;
  if (account.encodingAESKey === undefined) throw new Error('an encrypted push needs an account with an EncodingAESKey');
  const params = signatureParams(options);
  const timestamp = params.get('timestamp') ?? '';
  const nonce = params.get('nonce') ?? '';
  const crypto = createMessageCrypto({ appId: account.appId, encodingAESKey: account.encodingAESKey });
  const sealed = sealMessage(crypto, { token: account.token, timestamp, nonce }, xml);
  params.set('openid', 'oTestUser0123456789abcdefgh');
  params.set('encrypt_type', 'aes');
  params.set('msg_signature', sealed.MsgSignature);
  const body =
    mode === 'safe'
      ? buildSafeModeBody(ACCOUNT_NAME, sealed.Encrypt)
      : (options.outerXml ?? xml).replace('</xml>', `<Encrypt>${cdata(sealed.Encrypt)}</Encrypt></xml>`);
  return { query: params.toString(), body };
}

/** The query of an encrypted push whose `msg_signature` covers `encrypt`, whatever that is. */
export function encryptedQuery(encrypt: string, options: SignOptions = {}): string {
  const token = (options.account ?? DEFAULT_ACCOUNT).token;
  const timestamp = options.timestamp ?? nowSeconds();
  const nonce = options.nonce ?? String(Math.floor(Math.random() * 1e9));
  const msgSignature = computeSignature([token, timestamp, nonce, encrypt]);
  return new URLSearchParams({ timestamp, nonce, encrypt_type: 'aes', msg_signature: msgSignature }).toString();
}

/** A safe-mode body around any `Encrypt` text. */
export function safeModeBody(encrypt: string): string {
  return buildSafeModeBody(ACCOUNT_NAME, encrypt);
}

/** The BullMQ job id the gateway gives a push of `xml` for `appId`. */
export function jobIdOf(xml: string, appId = APP_ID): string {
  return inboundJobId(appId, computeDedupKey(parseInboundXml(xml)));
}

// ---------------------------------------------------------------------------------------------
// The gateway

export interface TestGatewayOptions {
  /** Merged over the defaults; `undefined` removes a default. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Default: the run's shared Redis. */
  readonly redisUrl?: string;
  /** Replaces the configured accounts, for the shared vectors (their Token is not console-valid). */
  readonly accounts?: readonly Account[];
  readonly now?: () => number;
  /** Wait for /readyz to answer 200 before returning (default true; false for a Redis that is down). */
  readonly awaitReady?: boolean;
}

export interface TestGateway {
  readonly url: string;
  /** Undefined when the admin listener did not start. */
  readonly adminUrl: string | undefined;
  readonly config: GatewayConfig;
  readonly prefix: string;
  /** The inbound queue, seen through a connection of the test's own. */
  readonly queue: Queue;
  /** A connection of the test's own to the gateway's Redis. */
  readonly redis: RedisClient;
  readonly logs: LogSink;
  /** POST a push to `path` (default `/wechat`). */
  push(push: SignedPush, path?: string, headers?: OutgoingHttpHeaders): Promise<HttpAnswer>;
  /** GET or POST anything on the public listener. */
  send(path: string, options?: SendOptions): Promise<HttpAnswer>;
  /** Jobs in the queue, in any state. */
  jobCount(): Promise<number>;
  /** Every value stored under the queue prefix, as one string (to search for secrets). */
  dumpRedis(): Promise<string>;
  /** Stops the gateway only. Idempotent. */
  stop(): Promise<void>;
  /** Stops the gateway, obliterates the queue, closes the test's connections. Idempotent. */
  close(): Promise<void>;
}

/** The environment a test gateway starts from: default account, loopback listeners on port 0, a fresh queue prefix. */
export function testEnv(redisUrl: string, overrides: Readonly<Record<string, string | undefined>> = {}): Record<string, string | undefined> {
  return {
    WECHAT_APPID: APP_ID,
    WECHAT_TOKEN: TOKEN,
    WECHAT_ENCODING_AES_KEY: AES_KEY,
    HOST: '127.0.0.1',
    PORT: '0',
    ADMIN_HOST: '127.0.0.1',
    ADMIN_PORT: '0',
    REDIS_URL: redisUrl,
    WXQ_QUEUE_PREFIX: `{test-${randomUUID()}}`,
    LOG_LEVEL: 'info',
    ...overrides,
  };
}

/** Starts a gateway in this process; the caller closes it (see {@link useGateway}). */
export async function startTestGateway(options: TestGatewayOptions = {}): Promise<TestGateway> {
  const env = testEnv(options.redisUrl ?? inject('redisUrl'), options.env);
  const loaded = loadGatewayConfig(env);
  const config: GatewayConfig = options.accounts === undefined ? loaded : { ...loaded, accounts: options.accounts };
  const logs = createLogSink();
  const logger = createLogger({ level: config.logLevel, name: 'gateway' }, logs.stream);
  const redis = createRedis(config.redis, 'worker', 'wxq-test');
  // Expected while a test has Redis down; commands still wait for it to come back.
  redis.on('error', () => undefined);
  const queue = new Queue(QUEUES.inbound.name, { connection: redis, prefix: config.queuePrefix });
  queue.on('error', () => undefined);

  let gateway: RunningGateway;
  try {
    gateway = await startGateway(config, { logger, ...(options.now === undefined ? {} : { now: options.now }) });
  } catch (error) {
    await queue.close();
    await redis.quit();
    throw error;
  }
  const url = `http://127.0.0.1:${gateway.publicPort}`;
  const adminUrl = gateway.adminPort === undefined ? undefined : `http://127.0.0.1:${gateway.adminPort}`;

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      const errors: unknown[] = [];
      const steps = [() => gateway.stop(), () => queue.obliterate({ force: true }), () => queue.close(), () => redis.quit()];
      for (const step of steps) {
        try {
          await step();
        } catch (error) {
          errors.push(error);
        }
      }
      if (errors.length > 0) throw new AggregateError(errors, 'closing the test gateway failed');
    })();
    return closing;
  };

  // The gateway listens before its Redis connection is up and answers 503 until it is, as it would
  // for WeChat; tests start sending once it says it is ready.
  if (options.awaitReady ?? true) {
    try {
      await waitFor(async () => (await send(`${url}/readyz`)).status === 200, { message: 'the gateway to be ready' });
    } catch (error) {
      await close();
      throw error;
    }
  }

  return {
    url,
    adminUrl,
    config,
    prefix: config.queuePrefix,
    queue,
    redis,
    logs,
    push: (push, path = '/wechat', headers = {}) => send(`${url}${path}?${push.query}`, { method: 'POST', body: push.body, headers }),
    send: (path, sendOptions) => send(`${url}${path}`, sendOptions),
    jobCount: async () => {
      const counts = await queue.getJobCounts();
      return Object.values(counts).reduce((sum, count) => sum + count, 0);
    },
    dumpRedis: () => dumpKeys(redis, `${config.queuePrefix}:*`),
    stop: () => gateway.stop(),
    close,
  };
}

/** {@link startTestGateway}, closed when the current test finishes. Call it inside a test. */
export async function useGateway(options: TestGatewayOptions = {}): Promise<TestGateway> {
  const gateway = await startTestGateway(options);
  onTestFinished(() => gateway.close());
  return gateway;
}

async function dumpKeys(redis: RedisClient, pattern: string): Promise<string> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== '0');
  const parts: string[] = [];
  for (const key of keys) {
    const type = await redis.type(key);
    if (type === 'hash') parts.push(key, JSON.stringify(await redis.hgetall(key)));
    else if (type === 'string') parts.push(key, (await redis.get(key)) ?? '');
    else if (type === 'list') parts.push(key, JSON.stringify(await redis.lrange(key, 0, -1)));
    else if (type === 'set') parts.push(key, JSON.stringify(await redis.smembers(key)));
    else if (type === 'zset') parts.push(key, JSON.stringify(await redis.zrange(key, 0, -1)));
    else if (type === 'stream') parts.push(key, JSON.stringify(await redis.xrange(key, '-', '+')));
    else parts.push(key, `(${type})`);
  }
  return parts.join('\n');
}

/**
 * POSTs `totalBytes` of `fill` in chunks without Content-Length (Transfer-Encoding: chunked), and
 * stops writing once an answer arrives: a gateway refusing the body may close the connection early.
 */
export function sendChunked(url: string, totalBytes: number, fill = 'x', chunkBytes = 64 * 1024): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = request(url, { method: 'POST', agent: false, headers: { 'Content-Type': 'text/xml' } }, (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.once('error', reject);
      res.once('end', () => {
        const bytes = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: bytes.toString('utf8'), bytes });
      });
    });
    // Once answered, a write into the closed connection may fail (EPIPE, ECONNRESET): that is the point.
    req.on('error', (error) => {
      if (!answered) reject(error);
    });
    const chunk = Buffer.alloc(chunkBytes, fill);
    let sent = 0;
    const writeMore = (): void => {
      while (sent < totalBytes && !answered && !req.destroyed) {
        const size = Math.min(chunkBytes, totalBytes - sent);
        sent += size;
        if (!req.write(size === chunkBytes ? chunk : chunk.subarray(0, size))) {
          req.once('drain', writeMore);
          return;
        }
      }
      if (!answered && !req.destroyed) req.end();
    };
    writeMore();
  });
}
