import { RedisServerError, isDockerAvailable, startRedisContainer, startRedisServer } from '@wxq/testing';

export interface SandboxRedis {
  readonly url: string;
  readonly source: string;
  /** The temp data dir of a redis-server (removed by stop()). */
  readonly dir?: string;
  stop(): Promise<void>;
}

export const NO_REDIS_HELP = [
  'wxq needs Redis and found none:',
  '  - install redis-server (Debian/Ubuntu: sudo apt-get install -y redis-server; macOS: brew install redis), or',
  '  - start a Docker engine (a redis:7-alpine container is used), or',
  '  - point REDIS_URL at a Redis you run.',
].join('\n');

/**
 * A private Redis for the sandbox: redis-server from PATH on a free port with a temp dir, else a
 * container when a Docker engine answers. Undefined when neither is there.
 */
export async function startSandboxRedis(env: NodeJS.ProcessEnv): Promise<SandboxRedis | undefined> {
  try {
    const server = await startRedisServer();
    return { url: server.url, source: `redis-server on port ${server.port}`, dir: server.dir, stop: () => server.stop() };
  } catch (error) {
    if (!(error instanceof RedisServerError) || error.code !== 'not_installed') throw error;
  }
  if (await isDockerAvailable(env, 3_000)) {
    const container = await startRedisContainer();
    return { url: container.url, source: 'a redis:7-alpine container', stop: () => container.stop() };
  }
  return undefined;
}
