import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { raceTimeout } from '@wxq/redis';

/** A Redis container started through testcontainers; stop() removes it. */
export interface RedisContainer {
  readonly source: 'container';
  readonly url: string;
  stop(): Promise<void>;
}

/** The variables that say where a Docker engine might be. */
export interface DockerEnv {
  readonly DOCKER_HOST?: string | undefined;
  readonly HOME?: string | undefined;
  readonly XDG_RUNTIME_DIR?: string | undefined;
}

const REDIS_IMAGE = 'redis:7-alpine';
const REDIS_PORT = 6379;

/**
 * True when a Docker engine answers within `timeoutMs`. Returns false at once, without loading
 * testcontainers, when nothing suggests an engine (no DOCKER_HOST, no known socket).
 */
export async function isDockerAvailable(env: DockerEnv, timeoutMs: number): Promise<boolean> {
  if (!hasDockerHint(env)) return false;
  // Loaded only here: most runs without Docker never need testcontainers.
  const { getContainerRuntimeClient } = await import('testcontainers');
  const answered = getContainerRuntimeClient().then(
    () => true,
    () => false,
  );
  return raceTimeout(answered, timeoutMs, () => false);
}

/** Starts `redis:7-alpine` with persistence off; rejects if the image cannot be pulled or started. */
export async function startRedisContainer(): Promise<RedisContainer> {
  const { GenericContainer, Wait } = await import('testcontainers');
  const container = await new GenericContainer(REDIS_IMAGE)
    .withCommand(['redis-server', '--save', '', '--appendonly', 'no'])
    .withExposedPorts(REDIS_PORT)
    .withWaitStrategy(Wait.forLogMessage('Ready to accept connections'))
    .start();
  const host = container.getHost();
  // An IPv6 literal needs brackets inside a URL.
  const urlHost = host.includes(':') ? `[${host}]` : host;
  let stopping: Promise<void> | undefined;
  return {
    source: 'container',
    url: `redis://${urlHost}:${container.getMappedPort(REDIS_PORT)}`,
    stop: () => (stopping ??= container.stop().then(() => undefined)),
  };
}

// The places testcontainers looks first; a miss on all of them means no engine worth waiting for.
function hasDockerHint(env: DockerEnv): boolean {
  if (env.DOCKER_HOST) return true;
  const home = env.HOME ?? homedir();
  const candidates = [
    '/var/run/docker.sock',
    join(home, '.docker', 'run', 'docker.sock'),
    join(home, '.testcontainers.properties'),
  ];
  if (env.XDG_RUNTIME_DIR) candidates.push(join(env.XDG_RUNTIME_DIR, 'docker.sock'));
  return candidates.some((path) => existsSync(path));
}
