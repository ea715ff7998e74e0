// Test helpers: a simulator per test on port 0, a clock to drive
// token and media lifetimes, and JSON over fetch. Never a mock: every call is real HTTP.
import { onTestFinished } from 'vitest';
import type { SimulatorAccount } from '../src/api/accounts.js';
import {
  type WechatApiSimulator,
  type WechatApiSimulatorOptions,
  startWechatApiSimulator,
} from '../src/api/simulator.js';
import { type ManualClock, createManualClock } from '../src/clock.js';

export const ACCOUNT: SimulatorAccount = { appId: 'wx0123456789abcdef', appSecret: 'Secret0123456789abcdef0123456789' };
export const OTHER_ACCOUNT: SimulatorAccount = {
  appId: 'wxfedcba9876543210',
  appSecret: 'OtherSecret0123456789abcdef01234',
};
/** A real OpenID's shape, 28 characters (docs/wechat-protocol.md §0.3). */
export const OPENID = 'o9AgO5Kd5ggOC-bXrbNODIiE3bGY';

export type TestClock = ManualClock;

export function createClock(startMs = Date.UTC(2024, 0, 1)): TestClock {
  return createManualClock(startMs);
}

/** A simulator with ACCOUNT and OTHER_ACCOUNT, stopped when the test finishes. */
export async function startTestSimulator(
  options: Partial<WechatApiSimulatorOptions> = {},
): Promise<WechatApiSimulator> {
  const sim = await startWechatApiSimulator({ accounts: [ACCOUNT, OTHER_ACCOUNT], ...options });
  onTestFinished(() => sim.stop());
  return sim;
}

interface JsonAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly json: Record<string, unknown>;
}

export async function getJson(url: string): Promise<JsonAnswer> {
  const response = await fetch(url);
  return {
    status: response.status,
    headers: response.headers,
    json: (await response.json()) as Record<string, unknown>,
  };
}

/** POSTs `body` as JSON, or as-is when it is already a string. */
export async function postJson(url: string, body: unknown): Promise<JsonAnswer> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return {
    status: response.status,
    headers: response.headers,
    json: (await response.json()) as Record<string, unknown>,
  };
}

export async function classicToken(sim: WechatApiSimulator, account: SimulatorAccount = ACCOUNT): Promise<string> {
  const query = new URLSearchParams({
    grant_type: 'client_credential',
    appid: account.appId,
    secret: account.appSecret,
  });
  const { json } = await getJson(`${sim.url}/cgi-bin/token?${query.toString()}`);
  if (typeof json['access_token'] !== 'string') throw new Error(`no token: ${JSON.stringify(json)}`);
  return json['access_token'];
}

export async function stableToken(
  sim: WechatApiSimulator,
  forceRefresh = false,
  account: SimulatorAccount = ACCOUNT,
): Promise<{ token: string; expiresIn: number }> {
  const { json } = await postJson(`${sim.url}/cgi-bin/stable_token`, {
    grant_type: 'client_credential',
    appid: account.appId,
    secret: account.appSecret,
    force_refresh: forceRefresh,
  });
  if (typeof json['access_token'] !== 'string' || typeof json['expires_in'] !== 'number')
    throw new Error(`no token: ${JSON.stringify(json)}`);
  return { token: json['access_token'], expiresIn: json['expires_in'] };
}

/** The errcode `getcallbackip` answers for a token: a cheap probe of the token's state. */
export async function probeToken(sim: WechatApiSimulator, token: string): Promise<number> {
  const { json } = await getJson(`${sim.url}/cgi-bin/getcallbackip?access_token=${encodeURIComponent(token)}`);
  return typeof json['errcode'] === 'number' ? json['errcode'] : 0;
}

export function sendUrl(sim: WechatApiSimulator, token: string): string {
  return `${sim.url}/cgi-bin/message/custom/send?access_token=${encodeURIComponent(token)}`;
}

export function typingUrl(sim: WechatApiSimulator, token: string): string {
  return `${sim.url}/cgi-bin/message/custom/typing?access_token=${encodeURIComponent(token)}`;
}

export function templateSendUrl(sim: WechatApiSimulator, token: string): string {
  return `${sim.url}/cgi-bin/message/template/send?access_token=${encodeURIComponent(token)}`;
}

export function subscribeSendUrl(sim: WechatApiSimulator, token: string): string {
  return `${sim.url}/cgi-bin/message/subscribe/bizsend?access_token=${encodeURIComponent(token)}`;
}

/** POSTs `body` (JSON unless already a string) and returns the answer's text as it came: digits intact. */
export async function postRaw(url: string, body: unknown): Promise<{ readonly status: number; readonly text: string }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, text: await response.text() };
}

/**
 * The msgid of a `{"errcode":0,…,"msgid":N}` answer as its raw digits (JSON.parse would round it past
 * 2^53, docs/wechat-protocol.md §11.1); undefined when the answer has none.
 */
export function rawMsgId(text: string): string | undefined {
  return /"msgid":(\d+)[,}]/.exec(text)?.[1];
}
