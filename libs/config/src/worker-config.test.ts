import { describe, expect, it } from 'vitest';
import { ConfigError } from './config-error.js';
import { loadWorkerConfig } from './worker-config.js';

const MINIMAL = { WECHAT_APPID: 'wx1234567890abcdef', WECHAT_APPSECRET: 'secret0123456789secret0123456789' } as const;

function problems(env: Readonly<Record<string, string>>): string[] {
  try {
    loadWorkerConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.issues.map((issue) => issue.variable);
    throw error;
  }
  throw new Error('expected a ConfigError, but the configuration loaded');
}

describe('loadWorkerConfig', () => {
  it('has ordering and the enforced quota ledger on by default, auto-typing off', () => {
    const config = loadWorkerConfig(MINIMAL);
    expect(config.ordering).toBe(true);
    expect(config.quota).toEqual({ mode: 'enforce', messageSends: 5, eventSends: 3 });
    expect(config.autoTypingMs).toBe(0);
    expect(Object.isFrozen(config.quota)).toBe(true);
  });

  it('reads the reply mode and how long passive-only replies wait (48 h by default, 30 days at most)', () => {
    expect(loadWorkerConfig(MINIMAL)).toMatchObject({
      replyMode: 'customer-service',
      pendingReplyTtlMs: 48 * 3600_000,
    });
    expect(
      loadWorkerConfig({ ...MINIMAL, WXQ_REPLY_MODE: 'passive-only', WXQ_PENDING_REPLY_HOURS: '2' }),
    ).toMatchObject({
      replyMode: 'passive-only',
      pendingReplyTtlMs: 2 * 3600_000,
    });
    for (const hours of ['0', '721', '1.5', 'two']) {
      expect(problems({ ...MINIMAL, WXQ_PENDING_REPLY_HOURS: hours })).toEqual(['WXQ_PENDING_REPLY_HOURS']);
    }
    expect(problems({ ...MINIMAL, WXQ_REPLY_MODE: 'passive-first' })).toEqual(['WXQ_REPLY_MODE']);
  });

  it('keeps 20 pending replies per user unless told otherwise (1000 at most)', () => {
    expect(loadWorkerConfig(MINIMAL).pendingRepliesMax).toBe(20);
    expect(loadWorkerConfig({ ...MINIMAL, WXQ_PENDING_REPLIES_MAX: '5' }).pendingRepliesMax).toBe(5);
    for (const max of ['0', '1001', '2.5', 'many', '-1']) {
      expect(problems({ ...MINIMAL, WXQ_PENDING_REPLIES_MAX: max })).toEqual(['WXQ_PENDING_REPLIES_MAX']);
    }
  });

  it('refuses to start with no handlers under NODE_ENV=production, unless WXQ_HANDLERS=demo asks for the demo', () => {
    expect(problems({ ...MINIMAL, NODE_ENV: 'production' })).toEqual(['WXQ_HANDLERS']);
    expect(problems({ ...MINIMAL, NODE_ENV: 'production', WXQ_HANDLERS: '' })).toEqual(['WXQ_HANDLERS']);
    expect(loadWorkerConfig({ ...MINIMAL, NODE_ENV: 'production', WXQ_HANDLERS: 'demo' }).handlersModule).toBe('demo');
    expect(loadWorkerConfig({ ...MINIMAL, NODE_ENV: 'production', WXQ_HANDLERS: './h.js' }).handlersModule).toBe(
      './h.js',
    );
    expect(loadWorkerConfig(MINIMAL).handlersModule).toBeUndefined();
    expect(loadWorkerConfig({ ...MINIMAL, NODE_ENV: 'development' }).handlersModule).toBeUndefined();
  });

  it('abandons a handler after 30 s unless told otherwise (15 min at most)', () => {
    expect(loadWorkerConfig(MINIMAL).handlerTimeoutMs).toBe(30_000);
    expect(loadWorkerConfig({ ...MINIMAL, WXQ_HANDLER_TIMEOUT_MS: '250' }).handlerTimeoutMs).toBe(250);
    for (const ms of ['0', '900001', '1.5', 'soon', '-1']) {
      expect(problems({ ...MINIMAL, WXQ_HANDLER_TIMEOUT_MS: ms })).toEqual(['WXQ_HANDLER_TIMEOUT_MS']);
    }
  });

  it('serves its probes and /metrics on 127.0.0.1:3002 unless told otherwise', () => {
    expect(loadWorkerConfig(MINIMAL).admin).toEqual({ host: '127.0.0.1', port: 3002 });
    expect(loadWorkerConfig({ ...MINIMAL, ADMIN_HOST: '0.0.0.0', ADMIN_PORT: '0' }).admin).toEqual({
      host: '0.0.0.0',
      port: 0,
    });
  });

  it('takes the quota numbers and modes as settings', () => {
    const config = loadWorkerConfig({
      ...MINIMAL,
      WXQ_CS_QUOTA: 'observe',
      WXQ_CS_QUOTA_MESSAGE: '20',
      WXQ_CS_QUOTA_EVENT: '1',
      WXQ_ORDERING: 'off',
      WXQ_AUTO_TYPING_MS: '1500',
      WXQ_QUEUE_SHARDS: '64',
      WXQ_INLINE_SENDS: 'off',
    });
    expect(config.inlineSends).toBe(false);
    expect(loadWorkerConfig(MINIMAL).inlineSends).toBe(true);
    expect(config.quota).toEqual({ mode: 'observe', messageSends: 20, eventSends: 1 });
    expect(config.ordering).toBe(false);
    expect(config.autoTypingMs).toBe(1500);
    expect(config.queueShards).toBe(64);
  });

  it.each([
    ['WXQ_CS_QUOTA', { WXQ_CS_QUOTA: 'strict' }],
    ['WXQ_CS_QUOTA_MESSAGE', { WXQ_CS_QUOTA_MESSAGE: '0' }],
    ['WXQ_CS_QUOTA_EVENT', { WXQ_CS_QUOTA_EVENT: 'three' }],
    ['WXQ_AUTO_TYPING_MS', { WXQ_AUTO_TYPING_MS: '-1' }],
    ['WXQ_ORDERING', { WXQ_ORDERING: 'yes' }],
    ['WXQ_INLINE_SENDS', { WXQ_INLINE_SENDS: 'true' }],
    ['WXQ_QUEUE_SHARDS', { WXQ_QUEUE_SHARDS: '-1' }],
    ['WXQ_QUEUE_SHARDS', { WXQ_QUEUE_SHARDS: '1e1' }],
    ['ADMIN_PORT', { ADMIN_PORT: '65536' }],
    ['ADMIN_PORT', { ADMIN_PORT: 'http' }],
  ])('refuses a bad %s, naming it', (variable, overrides) => {
    expect(problems({ ...MINIMAL, ...overrides })).toEqual([variable]);
  });

  it('demands the app secret it needs to fetch tokens, unless tokens are read-only', () => {
    expect(problems({ WECHAT_APPID: MINIMAL.WECHAT_APPID })).toEqual(['WECHAT_APPSECRET']);
    expect(
      loadWorkerConfig({ WECHAT_APPID: MINIMAL.WECHAT_APPID, WECHAT_TOKEN_READ_ONLY: 'true' }).api.tokenReadOnly,
    ).toBe(true);
  });
});
