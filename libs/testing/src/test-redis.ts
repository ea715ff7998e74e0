import {
  type RedisContainer,
  type RedisServer,
  RedisServerError,
  type RedisServerOptions,
  isDockerAvailable,
  startRedisContainer,
  startRedisServer,
} from '@wxq/redis-server';

/** The server named by REDIS_URL. It is someone else's, so stop() leaves it running. */
export interface ExternalRedis {
  readonly source: 'env';
  readonly url: string;
  stop(): Promise<void>;
}

/** A Redis this process started and may stop; only the redis-server kind can pause and resume. */
export type PrivateRedis = RedisContainer | RedisServer;

export type TestRedis = ExternalRedis | PrivateRedis;

export interface TestRedisOptions {
  /** Read for REDIS_URL and Docker's location. Only an entry point passes `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** How long a Docker engine gets to answer before redis-server is used instead. Default 3000. */
  readonly dockerProbeTimeoutMs?: number;
  readonly redisServer?: RedisServerOptions;
}

const DOCKER_PROBE_TIMEOUT_MS = 3_000;

const NO_REDIS_HELP =
  'No Redis for tests: REDIS_URL is not set, no Docker engine answered (DOCKER_HOST, /var/run/docker.sock), ' +
  'and redis-server is not on PATH. Install redis-server (Debian/Ubuntu: apt-get install -y redis-server), ' +
  'start Docker, or set REDIS_URL to a server tests may write to (they use their own key prefixes and never flush).';

/**
 * The Redis for a test run: REDIS_URL from `options.env` if set, else a container when a Docker
 * engine answers, else a private redis-server. Throws, saying how to get one, when none is available.
 */
export function startTestRedis(options: TestRedisOptions = {}): Promise<TestRedis> {
  const url = options.env?.REDIS_URL;
  if (url) return Promise.resolve({ source: 'env', url, stop: () => Promise.resolve() });
  return startPrivateRedis(options);
}

/**
 * A Redis of this caller's own, for suites that stop Redis or kill processes: a container when a
 * Docker engine answers, else a redis-server. Never uses REDIS_URL. Throws like {@link startTestRedis}.
 */
export async function startPrivateRedis(options: TestRedisOptions = {}): Promise<PrivateRedis> {
  const env = options.env ?? {};
  if (await isDockerAvailable(env, options.dockerProbeTimeoutMs ?? DOCKER_PROBE_TIMEOUT_MS)) {
    return startRedisContainer();
  }
  try {
    return await startRedisServer(options.redisServer);
  } catch (error) {
    if (error instanceof RedisServerError && error.code === 'not_installed') {
      throw new Error(NO_REDIS_HELP, { cause: error });
    }
    throw error;
  }
}
