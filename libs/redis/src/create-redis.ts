import { Cluster, Redis, type RedisOptions } from 'ioredis';

/** How every connection authenticates and whether it speaks TLS (each Cluster node alike). */
export interface RedisCredentials {
  /** An ACL user; without it the password is the default user's (`requirepass`). */
  readonly username?: string;
  readonly password?: string;
  /** TLS on; `ca`: a PEM certificate to trust besides the system's. */
  readonly tls?: { readonly ca?: string };
}

/** Standalone: the URL's own user, password and `rediss://` win over the credentials beside it. */
export type RedisTarget =
  | ({ readonly mode: 'standalone'; readonly url: string } & RedisCredentials)
  | ({ readonly mode: 'cluster'; readonly nodes: readonly string[] } & RedisCredentials);

/**
 * `producer`: commands fail at once while Redis is unreachable, so the gateway answers 503 well
 * inside WeChat's 5 s instead of queueing the push in memory. `worker`: commands wait out an
 * outage (BullMQ requires maxRetriesPerRequest: null for blocking connections). `commands`: as
 * `worker`, for wxq's own commands beside BullMQ, autopipelined: what one event-loop turn asks
 * (a job's checks, many jobs' at concurrency 50) goes to Redis in one write. BullMQ's connection
 * stays without: Bull users reported jobs "not in the active list" with it (bullmq#457).
 */
export type RedisRole = 'producer' | 'worker' | 'commands';

export type RedisClient = Redis | Cluster;

// No autopipelining for the producer: the gateway batches an event-loop turn's pushes itself
// (apps/gateway coalesce.ts), and a second deferral only cost CPU (bench A/B).
const ROLE_OPTIONS = {
  producer: { enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 2_000 },
  worker: { enableOfflineQueue: true, maxRetriesPerRequest: null },
  commands: { enableOfflineQueue: true, maxRetriesPerRequest: null, enableAutoPipelining: true },
} as const satisfies Record<RedisRole, RedisOptions>;

// Reconnect quickly at first, then every 2 s at most: an outage should end for us when it ends.
const retryStrategy = (attempt: number) => Math.min(50 * 2 ** attempt, 2_000);

/**
 * A connection for a role; the caller attaches an `error` listener and quits it. A wrong user or
 * password is not thrown: the client reports WRONGPASS on `error` and retries, as for an outage.
 */
export function createRedis(target: RedisTarget, role: RedisRole, connectionName?: string): RedisClient {
  const options: RedisOptions = {
    ...ROLE_OPTIONS[role],
    retryStrategy,
    ...(connectionName === undefined ? {} : { connectionName }),
    ...(target.username === undefined ? {} : { username: target.username }),
    ...(target.password === undefined ? {} : { password: target.password }),
    ...(target.tls === undefined ? {} : { tls: target.tls.ca === undefined ? {} : { ca: target.tls.ca } }),
  };
  // ioredis takes the URL's fields first and fills in the rest from the options.
  if (target.mode === 'standalone') return new Redis(target.url, options);
  // A Cluster reads these from its own options, not redisOptions (its node connections always keep
  // an offline queue and never reconnect by themselves): pass the role's choices up. Every node,
  // the ones CLUSTER SLOTS names included, connects with redisOptions: the same user, password, TLS.
  return new Cluster(target.nodes.map(parseNode), {
    redisOptions: options,
    enableOfflineQueue: options.enableOfflineQueue ?? true,
    enableAutoPipelining: options.enableAutoPipelining ?? false,
    clusterRetryStrategy: retryStrategy,
    // With TLS, the seed nodes are dialled by the names given, so a certificate for that name
    // verifies (ioredis resolves them to addresses otherwise; its README, "Aws Elasticache
    // Clusters with TLS").
    ...(target.tls === undefined ? {} : { dnsLookup: passThroughLookup }),
  });
}

function passThroughLookup(address: string, callback: (err: null, address: string) => void): void {
  callback(null, address);
}

function parseNode(node: string): { host: string; port: number } {
  const at = node.lastIndexOf(':');
  return at === -1 ? { host: node, port: 6379 } : { host: node.slice(0, at), port: Number(node.slice(at + 1)) };
}
