import type { RedisConfig } from '@wxq/config';
import { type RedisClient, createRedis } from '@wxq/redis';
import { OpsError } from './cli-io.js';

/** How long a command waits for Redis before saying it is unreachable. */
const CONNECT_TIMEOUT_MS = 5_000;

/** Where Redis is, for messages: host and port only (REDIS_URL may carry a password). */
export function describeRedis(config: RedisConfig): string {
  if (config.mode === 'cluster') return `Cluster ${config.nodes.join(',')}`;
  try {
    return new URL(config.url).host || config.url.replace(/\/\/.*@/, '//');
  } catch {
    return 'REDIS_URL (not a URL)';
  }
}

/** Redis's answers to a wrong or missing user or password: retrying will not help. */
const CREDENTIAL_ERRORS = new Set(['WRONGPASS', 'NOAUTH', 'NOPERM']);

/**
 * A fail-fast connection (commands fail while Redis is away, nothing waits forever), resolved once
 * it is ready.
 * @throws OpsError when Redis does not answer within `timeoutMs` (5 s), with the last connection
 * error, and at once when it refuses the credentials
 */
export async function connectRedis(
  config: RedisConfig,
  name: string,
  timeoutMs = CONNECT_TIMEOUT_MS,
): Promise<RedisClient> {
  const redis = createRedis(config, 'producer', name);
  let lastError: Error | undefined;
  let refused: ((err: Error) => void) | undefined;
  const onError = (err: Error) => {
    lastError = err;
    if (isCredentialError(err)) refused?.(err);
  };
  redis.on('error', onError);
  try {
    await new Promise<void>((resolve, reject) => {
      refused = (err) => {
        clearTimeout(timer);
        reject(
          new OpsError(
            `Redis at ${describeRedis(config)} refused the credentials (${errorText(err)}): check the user and password of REDIS_URL, or REDIS_USERNAME / REDIS_PASSWORD`,
          ),
        );
      };
      const timer = setTimeout(() => {
        const seconds = timeoutMs / 1000;
        reject(
          new OpsError(`Redis at ${describeRedis(config)} did not answer within ${seconds} s (${describe(lastError)})`),
        );
      }, timeoutMs);
      redis.once('ready', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  } catch (err) {
    redis.disconnect();
    throw err;
  }
  return redis;
}

function describe(error: Error | undefined): string {
  if (error === undefined) return 'no answer';
  const code = (error as Error & { code?: unknown }).code;
  return typeof code === 'string' ? code : errorText(error);
}

/** A Cluster that reached no node says so; the node's own answer (WRONGPASS, ...) is the news. */
function errorText(error: Error): string {
  const nodeError = (error as Error & { lastNodeError?: unknown }).lastNodeError;
  return nodeError instanceof Error ? `${error.message} ${nodeError.message}` : error.message;
}

/** Redis puts its error code first in the reply (`WRONGPASS invalid username-password pair ...`). */
function isCredentialError(error: Error): boolean {
  const nodeError = (error as Error & { lastNodeError?: unknown }).lastNodeError;
  const reply = nodeError instanceof Error ? nodeError : error;
  return CREDENTIAL_ERRORS.has(reply.message.split(' ', 1)[0] ?? '');
}
