import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ConfigError } from './config-error.js';
import { loadNotifyApiConfig } from './notify-api-config.js';

const TOKEN = 'tok-0123456789abcdef-distinctive';
const OTHER_TOKEN = 'a'.repeat(64);
const MINIMAL = { WECHAT_APPID: 'wx1234567890abcdef', WXQ_API_TOKENS: TOKEN } as const;

function configError(env: Readonly<Record<string, string>>): ConfigError {
  try {
    loadNotifyApiConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError, but the configuration loaded');
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

describe('loadNotifyApiConfig', () => {
  it('listens on 127.0.0.1:3003 by default and needs no account secret', () => {
    const config = loadNotifyApiConfig(MINIMAL);
    expect(config.http).toEqual({ host: '127.0.0.1', port: 3003 });
    expect(config.accounts.map((a) => a.appId)).toEqual([MINIMAL.WECHAT_APPID]);
    expect(config.queueShards).toBe(1);
    expect(config.shutdownTimeoutMs).toBe(10_000);
    expect(Object.isFrozen(config.http)).toBe(true);
    expect(loadNotifyApiConfig({ ...MINIMAL, API_HOST: '0.0.0.0', API_PORT: '0' }).http).toEqual({
      host: '0.0.0.0',
      port: 0,
    });
  });

  it('keeps only the digests of the tokens, and no account secret', () => {
    const config = loadNotifyApiConfig({
      ...MINIMAL,
      WXQ_API_TOKENS: ` ${TOKEN}, ${OTHER_TOKEN} ,`,
      WECHAT_APPSECRET: 'secret0123456789secret0123456789',
      WECHAT_TOKEN: 'callbackToken1',
    });
    expect(config.tokenDigests).toEqual([sha256(TOKEN), sha256(OTHER_TOKEN)]);
    const dump = JSON.stringify(config);
    for (const secret of [TOKEN, OTHER_TOKEN, 'secret0123456789secret0123456789', 'callbackToken1']) {
      expect(dump).not.toContain(secret);
    }
  });

  it('refuses to start without WXQ_API_TOKENS, saying what to set', () => {
    for (const tokens of [undefined, '', ' , ']) {
      const env: Record<string, string> = { WECHAT_APPID: MINIMAL.WECHAT_APPID };
      if (tokens !== undefined) env['WXQ_API_TOKENS'] = tokens;
      const error = configError(env);
      expect(error.issues.map((i) => i.variable)).toEqual(['WXQ_API_TOKENS']);
      expect(error.message).toContain('WXQ_API_TOKENS: not set');
    }
  });

  it('refuses short tokens and ones a header cannot carry, never echoing them', () => {
    const short = 'short-distinct';
    const spaced = 'has spaces in the distinctive token';
    const error = configError({ ...MINIMAL, WXQ_API_TOKENS: `${TOKEN},${short},${spaced},${'x'.repeat(257)}` });
    expect(error.issues).toHaveLength(3);
    expect(error.issues.map((i) => i.problem.split(':')[0])).toEqual(['token 2', 'token 3', 'token 4']);
    for (const value of [TOKEN, short, spaced, 'xxxxxxxx']) expect(error.message).not.toContain(value);
  });

  it.each([
    ['API_PORT', { API_PORT: '65536' }],
    ['API_PORT', { API_PORT: 'http' }],
    ['WXQ_QUEUE_SHARDS', { WXQ_QUEUE_SHARDS: '0' }],
    ['SHUTDOWN_TIMEOUT_MS', { SHUTDOWN_TIMEOUT_MS: '-1' }],
    ['WECHAT_APPID', { WECHAT_APPID: 'not-an-appid' }],
  ])('refuses a bad %s, naming it', (variable, overrides) => {
    expect(configError({ ...MINIMAL, ...overrides }).issues.map((i) => i.variable)).toEqual([variable]);
  });

  it('reports every problem at once', () => {
    const error = configError({ API_PORT: 'x' });
    expect(error.issues.map((i) => i.variable).sort()).toEqual(['API_PORT', 'WECHAT_APPID', 'WXQ_API_TOKENS']);
  });
});
