import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from './config-error.js';
import { loadWorkerConfig } from './worker-config.js';

const ACCOUNT = { WECHAT_APPID: 'wx1234567890abcdef', WECHAT_APPSECRET: 'secret0123456789secret0123456789' } as const;

function configError(env: Readonly<Record<string, string>>): ConfigError {
  try {
    loadWorkerConfig({ ...ACCOUNT, ...env });
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError, but the configuration loaded');
}

describe('Redis connection settings', () => {
  it('standalone by default, no credentials, no TLS', () => {
    expect(loadWorkerConfig(ACCOUNT).redis).toEqual({ mode: 'standalone', url: 'redis://127.0.0.1:6379' });
  });

  it('rediss:// turns TLS on; REDIS_USERNAME / REDIS_PASSWORD go beside the URL', () => {
    expect(
      loadWorkerConfig({
        ...ACCOUNT,
        REDIS_URL: 'rediss://redis.internal:6380',
        REDIS_USERNAME: 'wxq',
        REDIS_PASSWORD: 'pw',
      }).redis,
    ).toEqual({ mode: 'standalone', url: 'rediss://redis.internal:6380', username: 'wxq', password: 'pw', tls: {} });
  });

  it('a Cluster takes REDIS_USERNAME, REDIS_PASSWORD, REDIS_TLS and the CA file for every node', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wxq-ca-'));
    const caFile = join(dir, 'ca.pem');
    writeFileSync(caFile, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    const config = loadWorkerConfig({
      ...ACCOUNT,
      REDIS_CLUSTER_NODES: 'a:6379,b:6379',
      REDIS_USERNAME: 'wxq',
      REDIS_PASSWORD: 'pw',
      REDIS_TLS: 'true',
      REDIS_TLS_CA: caFile,
    });
    expect(config.redis).toEqual({
      mode: 'cluster',
      nodes: ['a:6379', 'b:6379'],
      username: 'wxq',
      password: 'pw',
      tls: { ca: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n' },
    });
    // rediss:// is a standalone URL's business: a Cluster speaks TLS with REDIS_TLS only.
    expect(loadWorkerConfig({ ...ACCOUNT, REDIS_CLUSTER_NODES: 'a:6379', REDIS_URL: 'rediss://x:1' }).redis).toEqual({
      mode: 'cluster',
      nodes: ['a:6379'],
    });
  });

  it('names a bad REDIS_URL, REDIS_TLS or a missing CA file without repeating the URL (it may hold a password)', () => {
    const error = configError({
      REDIS_URL: 'http://user:hunter2@redis:6379',
      REDIS_TLS: 'maybe',
      REDIS_TLS_CA: '/nonexistent/ca.pem',
    });
    expect(error.issues.map((issue) => issue.variable)).toEqual(['REDIS_URL', 'REDIS_TLS', 'REDIS_TLS_CA']);
    expect(error.message).toContain('cannot read the CA certificate file /nonexistent/ca.pem (ENOENT)');
    expect(error.message).not.toContain('hunter2');
    expect(configError({ REDIS_URL: 'not a url at all' }).issues.map((issue) => issue.variable)).toEqual(['REDIS_URL']);
  });
});
