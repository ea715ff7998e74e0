import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from './config-error.js';
import { replyModeOf } from './app-config.js';
import { loadGatewayConfig } from './gateway-config.js';

const APP_ID = 'wx1234567890abcdef';
const TOKEN = 'callbackToken42';
const AES_KEY = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';
const MINIMAL = { WECHAT_APPID: APP_ID, WECHAT_TOKEN: TOKEN } as const;

const dir = mkdtempSync(join(tmpdir(), 'wxq-config-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});
let files = 0;
function accountsFile(content: string): string {
  files += 1;
  const path = join(dir, `accounts-${files}.json`);
  writeFileSync(path, content);
  return path;
}

/** The ConfigError that loading `env` throws; fails the test when it loads. */
function configError(env: Readonly<Record<string, string | undefined>>): ConfigError {
  try {
    loadGatewayConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError, but the configuration loaded');
}

function variables(error: ConfigError): string[] {
  return error.issues.map((issue) => issue.variable);
}

describe('loadGatewayConfig', () => {
  it('reads one account from WECHAT_* with the documented defaults, frozen', () => {
    const config = loadGatewayConfig(MINIMAL);
    expect(config).toEqual({
      accounts: [{ appId: APP_ID, token: TOKEN, requireEncryption: false }],
      http: { host: '0.0.0.0', port: 3000, maxBodyBytes: 1024 * 1024, trustProxy: false },
      admin: { host: '127.0.0.1', port: 3001, user: 'admin', password: undefined, basePath: '/admin/queues' },
      ipAllowlist: { mode: 'static', cidrs: [] },
      api: { baseUrl: 'https://api.weixin.qq.com', timeoutMs: 5_000, tokenReadOnly: false, stableToken: true },
      enqueueTimeoutMs: 3_000,
      dedupWindowSeconds: 600,
      timestampSkewSeconds: 300,
      shutdownTimeoutMs: 10_000,
      logLevel: 'info',
      redis: { mode: 'standalone', url: 'redis://127.0.0.1:6379' },
      queuePrefix: '{wxq}',
      queueShards: 1,
      ordering: true,
      replyMode: 'customer-service',
      passiveWaitMs: 4_000,
    });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.accounts[0])).toBe(true);
    expect(Object.isFrozen(config.http)).toBe(true);
  });

  it('reads every setting it documents', () => {
    const config = loadGatewayConfig({
      ...MINIMAL,
      WECHAT_ENCODING_AES_KEY: AES_KEY,
      WECHAT_REQUIRE_ENCRYPTION: 'true',
      WECHAT_APPSECRET: 'an-app-secret',
      PORT: '0',
      ADMIN_PORT: '0',
      ADMIN_PASSWORD: 'pw',
      MAX_BODY_BYTES: '2048',
      ENQUEUE_TIMEOUT_MS: '4999',
      TIMESTAMP_SKEW_SECONDS: '0',
      WECHAT_IP_ALLOWLIST: '203.0.113.0/24, 2001:db8::/32,10.0.0.1',
      WXQ_QUEUE_PREFIX: '{test-1}',
    });
    expect(config.accounts).toEqual([
      { appId: APP_ID, token: TOKEN, encodingAESKey: AES_KEY, requireEncryption: true, appSecret: 'an-app-secret' },
    ]);
    expect(config).toMatchObject({
      http: { port: 0, maxBodyBytes: 2048 },
      admin: { port: 0, password: 'pw' },
      enqueueTimeoutMs: 4999,
      timestampSkewSeconds: 0,
      ipAllowlist: { mode: 'static', cidrs: ['203.0.113.0/24', '2001:db8::/32', '10.0.0.1'] },
      queuePrefix: '{test-1}',
    });
  });

  it.each([
    ['true', true],
    ['false', false],
    ['1', 1],
    ['loopback', 'loopback'],
    ['loopback, 10.0.0.0/8', 'loopback, 10.0.0.0/8'],
  ])('reads TRUST_PROXY=%s as Express reads it', (value, expected) => {
    expect(loadGatewayConfig({ ...MINIMAL, TRUST_PROXY: value }).http.trustProxy).toEqual(expected);
  });

  it.each(['/admin/queues', '/ops', '/wxq/admin/bull-board', '/a.b_c~d-e/Q1'])('reads ADMIN_BASE_PATH=%s', (path) => {
    expect(loadGatewayConfig({ ...MINIMAL, ADMIN_BASE_PATH: path }).admin.basePath).toBe(path);
  });

  it.each([
    ['no leading slash', 'admin/queues', /start with \//],
    ['the root alone', '/', /path like/],
    ['a trailing slash', '/admin/queues/', /trailing/],
    ['a double slash', '/admin//queues', /double/],
    ['a .. segment', '/admin/../metrics', /\.\./],
    ['a . segment', '/admin/./queues', /\.\./],
    ['/metrics', '/metrics', /metrics/],
    ['a space', '/admin queues', /path like/],
    ['a query', '/admin?x=1', /path like/],
    ['a fragment', '/admin#x', /path like/],
    ['percent escapes', '/admin%2e%2e', /path like/],
    ['a backslash', '/admin\\queues', /path like/],
    ['markup', '/admin/<script>', /path like/],
    ['a full URL', 'https://example.com/admin', /start with \//],
    ['non-ASCII', '/管理', /path like/],
    ['an oversized path', `/${'a'.repeat(300)}`, /at most 200/],
  ])('refuses ADMIN_BASE_PATH with %s, naming it', (_case, path, problem) => {
    const error = configError({ ...MINIMAL, ADMIN_BASE_PATH: path });
    expect(variables(error)).toEqual(['ADMIN_BASE_PATH']);
    expect(error.issues[0]?.problem).toMatch(problem);
  });

  it('reads WECHAT_IP_ALLOWLIST=auto with the API settings getcallbackip needs', () => {
    const config = loadGatewayConfig({
      ...MINIMAL,
      WECHAT_IP_ALLOWLIST: ' auto ',
      WECHAT_APPSECRET: 'an-app-secret',
      WECHAT_API_BASE_URL: 'http://127.0.0.1:4000',
      WECHAT_API_TIMEOUT_MS: '2000',
      WECHAT_STABLE_TOKEN: 'false',
    });
    expect(config.ipAllowlist).toEqual({ mode: 'auto' });
    expect(config.api).toEqual({
      baseUrl: 'http://127.0.0.1:4000',
      timeoutMs: 2_000,
      tokenReadOnly: false,
      stableToken: false,
    });
    // A read-only token needs no secret: the workers (or another owner) keep the token fresh.
    expect(
      loadGatewayConfig({ ...MINIMAL, WECHAT_IP_ALLOWLIST: 'auto', WECHAT_TOKEN_READ_ONLY: 'true' }).ipAllowlist,
    ).toEqual({ mode: 'auto' });
  });

  it.each([
    ['without an app secret', { WECHAT_IP_ALLOWLIST: 'auto' }, 'WECHAT_APPSECRET', /app secret/],
    ['mixed with addresses', { WECHAT_IP_ALLOWLIST: 'auto,10.0.0.1' }, 'WECHAT_IP_ALLOWLIST', /stands alone/],
    ['misspelt', { WECHAT_IP_ALLOWLIST: 'automatic' }, 'WECHAT_IP_ALLOWLIST', /nor auto/],
    [
      'with a bad API URL',
      { WECHAT_IP_ALLOWLIST: 'auto', WECHAT_APPSECRET: 's', WECHAT_API_BASE_URL: 'not a url' },
      'WECHAT_API_BASE_URL',
      /URL/,
    ],
  ])('refuses WECHAT_IP_ALLOWLIST=auto %s', (_case, overrides, variable, problem) => {
    const error = configError({ ...MINIMAL, ...overrides });
    expect(variables(error)).toEqual([variable]);
    expect(error.issues[0]?.problem).toMatch(problem);
  });

  it('treats empty variables as unset', () => {
    const config = loadGatewayConfig({
      ...MINIMAL,
      WECHAT_ENCODING_AES_KEY: '',
      ADMIN_PASSWORD: '',
      ADMIN_BASE_PATH: '',
      WXQ_ACCOUNTS_FILE: '',
    });
    expect(config.admin.basePath).toBe('/admin/queues');
    expect(config.accounts[0]?.encodingAESKey).toBeUndefined();
    expect(config.admin.password).toBeUndefined();
  });

  it.each([
    ['WECHAT_APPID', { WECHAT_APPID: 'gh_0123456789ab' }],
    ['WECHAT_APPID', { WECHAT_APPID: 'wx123' }],
    ['WECHAT_TOKEN', { WECHAT_TOKEN: 'ab' }],
    ['WECHAT_TOKEN', { WECHAT_TOKEN: 'has-a-dash' }],
    ['WECHAT_TOKEN', { WECHAT_TOKEN: 'x'.repeat(33) }],
    ['WECHAT_ENCODING_AES_KEY', { WECHAT_ENCODING_AES_KEY: AES_KEY.slice(1) }],
    ['WECHAT_ENCODING_AES_KEY', { WECHAT_ENCODING_AES_KEY: `${AES_KEY.slice(1)}+` }],
    ['WECHAT_REQUIRE_ENCRYPTION', { WECHAT_REQUIRE_ENCRYPTION: 'true' }],
    ['WECHAT_REQUIRE_ENCRYPTION', { WECHAT_REQUIRE_ENCRYPTION: 'maybe' }],
    ['ENQUEUE_TIMEOUT_MS', { ENQUEUE_TIMEOUT_MS: '5000' }],
    ['ENQUEUE_TIMEOUT_MS', { ENQUEUE_TIMEOUT_MS: '0' }],
    ['ENQUEUE_TIMEOUT_MS', { ENQUEUE_TIMEOUT_MS: 'soon' }],
    ['WECHAT_IP_ALLOWLIST', { WECHAT_IP_ALLOWLIST: '203.0.113.0/33' }],
    ['WECHAT_IP_ALLOWLIST', { WECHAT_IP_ALLOWLIST: '10.0.0.1,wechat.example' }],
    ['WECHAT_IP_ALLOWLIST', { WECHAT_IP_ALLOWLIST: '300.1.1.1' }],
    ['TRUST_PROXY', { TRUST_PROXY: 'yes' }],
    ['TRUST_PROXY', { TRUST_PROXY: 'loopback,proxy.example' }],
    ['PORT', { PORT: '70000' }],
    ['MAX_BODY_BYTES', { MAX_BODY_BYTES: '-1' }],
    ['TIMESTAMP_SKEW_SECONDS', { TIMESTAMP_SKEW_SECONDS: '-5' }],
    ['LOG_LEVEL', { LOG_LEVEL: 'verbose' }],
    ['WXQ_QUEUE_PREFIX', { WXQ_QUEUE_PREFIX: 'no-braces' }],
    ['WXQ_ORDERING', { WXQ_ORDERING: 'sometimes' }],
    ['WXQ_QUEUE_SHARDS', { WXQ_QUEUE_SHARDS: '0' }],
    ['WXQ_QUEUE_SHARDS', { WXQ_QUEUE_SHARDS: '65' }],
    ['WXQ_QUEUE_SHARDS', { WXQ_QUEUE_SHARDS: '2.5' }],
    ['WXQ_QUEUE_SHARDS', { WXQ_QUEUE_SHARDS: 'three' }],
    ['WXQ_QUEUE_SHARDS', { WXQ_QUEUE_SHARDS: ' 3' }],
    ['WXQ_QUEUE_SHARDS', { WXQ_QUEUE_SHARDS: '' }],
  ])('refuses a bad %s, naming it', (variable, overrides) => {
    const error = configError({ ...MINIMAL, ...overrides });
    expect(variables(error)).toEqual([variable]);
    expect(error.message).toContain(variable);
  });

  it('says which variables are missing when there is no account at all', () => {
    const error = configError({});
    expect(error.message).toMatch(/WECHAT_APPID/);
    expect(error.message).toMatch(/WXQ_ACCOUNTS_FILE/);
    expect(variables(configError({ WECHAT_APPID: APP_ID }))).toEqual(['WECHAT_TOKEN']);
  });

  it('reports several problems together', () => {
    const error = configError({
      WECHAT_APPID: 'not-an-appid',
      WECHAT_TOKEN: 'no',
      WECHAT_ENCODING_AES_KEY: 'short',
      ENQUEUE_TIMEOUT_MS: '9000',
      WECHAT_IP_ALLOWLIST: '10.0.0.0/99',
      PORT: 'eighty',
    });
    expect(variables(error).sort()).toEqual(
      [
        'ENQUEUE_TIMEOUT_MS',
        'PORT',
        'WECHAT_APPID',
        'WECHAT_ENCODING_AES_KEY',
        'WECHAT_IP_ALLOWLIST',
        'WECHAT_TOKEN',
      ].sort(),
    );
    for (const variable of variables(error)) expect(error.message).toContain(variable);
  });

  it('never puts the value of a secret in the message', () => {
    const secrets = {
      WECHAT_TOKEN: 'leaked-token-1f3a',
      WECHAT_ENCODING_AES_KEY: 'leakedAesKey9c2d',
      WECHAT_APPSECRET: '',
      ADMIN_PASSWORD: 'leaked-password-77e1',
      REDIS_URL: 'redis://:leaked-redis-pw@127.0.0.1:6379',
    };
    const error = configError({ ...secrets, WECHAT_APPID: 'bad', ENQUEUE_TIMEOUT_MS: '6000' });
    const reported = `${error.message}\n${JSON.stringify(error.issues)}`;
    for (const secret of ['leaked-token-1f3a', 'leakedAesKey9c2d', 'leaked-password-77e1', 'leaked-redis-pw']) {
      expect(reported).not.toContain(secret);
    }
    expect(variables(error)).toEqual(expect.arrayContaining(['WECHAT_TOKEN', 'WECHAT_ENCODING_AES_KEY']));
  });

  describe('reply modes', () => {
    it('reads WXQ_REPLY_MODE and PASSIVE_WAIT_MS, and an account may set its own replyMode', () => {
      const file = accountsFile(
        JSON.stringify([
          { appId: APP_ID, token: TOKEN, replyMode: 'passive-only' },
          { appId: 'wxfedcba9876543210', token: 'otherToken' },
        ]),
      );
      const config = loadGatewayConfig({ WXQ_ACCOUNTS_FILE: file, WXQ_REPLY_MODE: 'passive', PASSIVE_WAIT_MS: '4500' });
      expect(config.replyMode).toBe('passive');
      expect(config.passiveWaitMs).toBe(4_500);
      expect(config.accounts.map((a) => replyModeOf(config, a))).toEqual(['passive-only', 'passive']);
    });

    it('refuses an unknown mode, in the environment or the file, and a wait WeChat would not see answered', () => {
      expect(variables(configError({ ...MINIMAL, WXQ_REPLY_MODE: 'passive_only' }))).toEqual(['WXQ_REPLY_MODE']);
      for (const wait of ['4501', '0', '-1', '4s']) {
        expect(variables(configError({ ...MINIMAL, PASSIVE_WAIT_MS: wait }))).toEqual(['PASSIVE_WAIT_MS']);
      }
      const file = accountsFile(JSON.stringify([{ appId: APP_ID, token: TOKEN, replyMode: 'kefu' }]));
      expect(configError({ WXQ_ACCOUNTS_FILE: file }).message).toMatch(
        /expected customer-service, passive or passive-only/,
      );
    });
  });

  describe('WXQ_ACCOUNTS_FILE', () => {
    it('reads several accounts, the first one being the default', () => {
      const file = accountsFile(
        JSON.stringify([
          { appId: APP_ID, token: TOKEN, encodingAESKey: AES_KEY, requireEncryption: true, appSecret: 'secret' },
          { appId: 'wxfedcba9876543210', token: 'otherToken' },
        ]),
      );
      const config = loadGatewayConfig({ WXQ_ACCOUNTS_FILE: file });
      expect(config.accounts).toEqual([
        { appId: APP_ID, token: TOKEN, encodingAESKey: AES_KEY, requireEncryption: true, appSecret: 'secret' },
        { appId: 'wxfedcba9876543210', token: 'otherToken', requireEncryption: false },
      ]);
    });

    it('refuses a file that is not JSON, or cannot be read, without quoting it', () => {
      const file = accountsFile('[{"appId": "wx1234567890abcdef", "token": "inFileToken77",');
      const notJson = configError({ WXQ_ACCOUNTS_FILE: file });
      expect(variables(notJson)).toEqual(['WXQ_ACCOUNTS_FILE']);
      expect(notJson.message).toMatch(/not valid JSON/);
      expect(notJson.message).not.toContain('inFileToken77');

      const missing = configError({ WXQ_ACCOUNTS_FILE: join(dir, 'no-such-file.json') });
      expect(missing.message).toMatch(/WXQ_ACCOUNTS_FILE: .*cannot be read/);
    });

    it('refuses duplicate appIds, whatever their case', () => {
      const file = accountsFile(
        JSON.stringify([
          { appId: APP_ID, token: TOKEN },
          { appId: APP_ID.toUpperCase().replace('WX', 'wx'), token: 'otherToken' },
        ]),
      );
      const error = configError({ WXQ_ACCOUNTS_FILE: file });
      expect(error.message).toMatch(/unique/);
      expect(variables(error)).toEqual(['WXQ_ACCOUNTS_FILE[]']);
    });

    it('names the account and field of each problem, with the secrets left out', () => {
      const file = accountsFile(
        JSON.stringify([
          { appId: APP_ID, token: 'bad token in file 5e5e' },
          { appId: 'wxnothex', token: TOKEN, encodingAESKey: 'fileAesKeyTooShort', extra: 1 },
          { appId: 'wxfedcba9876543210', token: TOKEN, requireEncryption: true },
        ]),
      );
      const error = configError({ WXQ_ACCOUNTS_FILE: file });
      expect(variables(error).sort()).toEqual(
        [
          'WXQ_ACCOUNTS_FILE[0.token]',
          'WXQ_ACCOUNTS_FILE[1.appId]',
          'WXQ_ACCOUNTS_FILE[1.encodingAESKey]',
          'WXQ_ACCOUNTS_FILE[1]',
          'WXQ_ACCOUNTS_FILE[2.requireEncryption]',
        ].sort(),
      );
      expect(error.message).not.toContain('bad token in file 5e5e');
      expect(error.message).not.toContain('fileAesKeyTooShort');
    });

    it('refuses an empty list', () => {
      expect(configError({ WXQ_ACCOUNTS_FILE: accountsFile('[]') }).message).toMatch(/at least one account/);
    });

    it('reports file problems together with variable problems', () => {
      const error = configError({ WXQ_ACCOUNTS_FILE: accountsFile('{}'), PORT: '-1', WECHAT_IP_ALLOWLIST: 'nonsense' });
      expect(variables(error).sort()).toEqual(['PORT', 'WECHAT_IP_ALLOWLIST', 'WXQ_ACCOUNTS_FILE[]'].sort());
    });
  });
});
