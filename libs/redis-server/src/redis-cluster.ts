import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { findFreePort } from './free-port.js';
import { pollUntil } from './poll.js';
import {
  REDIS_HOST as HOST,
  OUTPUT_TAIL_CHARS,
  type RedisProcess,
  type RedisTlsFiles,
  launchRedisProcess,
  retryWhilePortTaken,
  stopRedisProcess,
} from './redis-process.js';
import { RedisServerError } from './redis-server-error.js';

export interface RedisClusterOptions {
  /**
   * Masters, each holding a third (or so) of the 16384 slots, no replicas. At least 3, redis-cli's minimum.
   * Default 3.
   */
  readonly masters?: number;
  /** The server executable, looked up on PATH. Default `redis-server`. */
  readonly serverCommand?: string;
  /** The CLI that creates the cluster, looked up on PATH. Default `redis-cli`. */
  readonly cliCommand?: string;
  /** How long each start-up step (PING, `--cluster create`, `cluster_state:ok` everywhere) may take. Default 15000. */
  readonly startTimeoutMs?: number;
  /** How long SIGTERM gets before SIGKILL. Default 5000. */
  readonly stopTimeoutMs?: number;
  /**
   * Every node keeps an AOF with `appendfsync always`, so {@link RedisCluster.restartNode} loses no
   * acknowledged write. Default false.
   */
  readonly appendOnly?: boolean;
  /** Every node speaks TLS only, to clients and on the cluster bus, with this certificate. Default: plaintext. */
  readonly tls?: RedisTlsFiles;
}

/**
 * A Redis Cluster of our own: one redis-server per master on loopback, each with a temp dir, no
 * persistence unless `appendOnly`.
 */
export interface RedisCluster {
  readonly source: 'redis-cluster';
  /** `127.0.0.1:<port>` of every master, the form REDIS_CLUSTER_NODES takes. */
  readonly nodes: readonly string[];
  readonly ports: readonly number[];
  /** Holds one `--dir` per node; stop() removes it. */
  readonly dir: string;
  /**
   * Stops master `index` with `signal` (SIGKILL: no chance to write anything more), starts it again
   * on the same port, bus port and dir, and resolves once every node reports `cluster_state:ok`.
   * Without `appendOnly` the node comes back empty.
   */
  restartNode(index: number, signal: 'SIGTERM' | 'SIGKILL'): Promise<void>;
  /** Stops every node and removes the dir. Idempotent. */
  stop(): Promise<void>;
}

interface Settings {
  readonly serverCommand: string;
  readonly cliCommand: string;
  readonly startTimeoutMs: number;
  readonly stopTimeoutMs: number;
  readonly appendOnly: boolean;
  readonly tls?: RedisTlsFiles;
}

/** Where a node lives: what it needs to start again as the same node (nodes.conf is in its dir). */
interface NodeSite {
  readonly dir: string;
  readonly port: number;
  readonly busPort: number;
}

const MIN_MASTERS = 3;
const SLOT_COUNT = 16_384;
// Short, so a test that stops a node sees the cluster notice within seconds, not the default 15.
const NODE_TIMEOUT_MS = 2_000;

/**
 * Starts `masters` redis-server processes in cluster mode on free loopback ports, joins them with
 * `redis-cli --cluster create` (no replicas) and resolves once every node reports
 * `cluster_state:ok` and knows all the others. Rejects with {@link RedisServerError}
 * (`not_installed` when redis-server or redis-cli is missing, `not_ready` when the cluster does not
 * form) and leaves no process or directory behind. Throws RangeError for fewer than 3 masters.
 */
export async function startRedisCluster(options: RedisClusterOptions = {}): Promise<RedisCluster> {
  const masters = options.masters ?? MIN_MASTERS;
  if (!Number.isInteger(masters) || masters < MIN_MASTERS)
    throw new RangeError(`startRedisCluster: masters must be an integer >= ${MIN_MASTERS}, got ${masters}`);
  const settings: Settings = {
    serverCommand: options.serverCommand ?? 'redis-server',
    cliCommand: options.cliCommand ?? 'redis-cli',
    startTimeoutMs: options.startTimeoutMs ?? 15_000,
    stopTimeoutMs: options.stopTimeoutMs ?? 5_000,
    appendOnly: options.appendOnly ?? false,
    ...(options.tls === undefined ? {} : { tls: options.tls }),
  };
  const dir = await mkdtemp(join(tmpdir(), 'wxq-redis-cluster-'));
  const started: RedisProcess[] = [];
  const cleanUp = async (): Promise<void> => {
    await Promise.all(started.map((node) => stopRedisProcess(node, settings.stopTimeoutMs)));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const launches = await Promise.allSettled(
      Array.from({ length: masters }, (_, index) => launchOnFreePorts(settings, join(dir, `node-${index}`))),
    );
    for (const launch of launches) if (launch.status === 'fulfilled') started.push(launch.value.node);
    const failed = launches.find((launch) => launch.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
    const sites = launches.flatMap((launch) => (launch.status === 'fulfilled' ? [launch.value.site] : []));
    const nodes = started.map((node) => `${HOST}:${node.port}`);
    await createCluster(settings, nodes);
    await waitUntilFormed(started, settings);
    return createHandle(nodes, started, sites, settings, dir, cleanUp);
  } catch (error) {
    await cleanUp();
    throw error;
  }
}

function createHandle(
  nodes: readonly string[],
  started: RedisProcess[],
  sites: readonly NodeSite[],
  settings: Settings,
  dir: string,
  cleanUp: () => Promise<void>,
): RedisCluster {
  let stopping: Promise<void> | undefined;
  return {
    source: 'redis-cluster',
    nodes,
    ports: started.map((node) => node.port),
    dir,
    async restartNode(index, signal) {
      const node = started[index];
      const site = sites[index];
      if (node === undefined || site === undefined) throw new RangeError(`restartNode: no node ${index}`);
      if (stopping !== undefined) throw new Error('restartNode: the cluster is stopping');
      if (signal === 'SIGKILL') {
        node.child.kill('SIGKILL');
        await node.closed;
      } else await stopRedisProcess(node, settings.stopTimeoutMs);
      // In the list at once, so that stop() stops the new process whatever happens next.
      started[index] = await launchNode(settings, site);
      await waitUntilFormed(started, settings);
    },
    stop: () => {
      stopping ??= cleanUp();
      return stopping;
    },
  };
}

async function launchOnFreePorts(settings: Settings, dir: string): Promise<{ node: RedisProcess; site: NodeSite }> {
  await mkdir(dir);
  return retryWhilePortTaken(async () => {
    // The cluster bus defaults to port + 10000, which may be taken or above 65535: pick it too
    // (findFreePort does not hand out the same port twice in a row).
    const site = { dir, port: await findFreePort(HOST), busPort: await findFreePort(HOST) };
    return { node: await launchNode(settings, site), site };
  });
}

function launchNode(settings: Settings, site: NodeSite): Promise<RedisProcess> {
  return launchRedisProcess(settings.serverCommand, site.port, site.dir, {
    extraArgs: [
      '--cluster-enabled',
      'yes',
      '--cluster-config-file',
      'nodes.conf',
      '--cluster-port',
      String(site.busPort),
      '--cluster-node-timeout',
      String(NODE_TIMEOUT_MS),
      ...(settings.tls === undefined ? [] : ['--tls-cluster', 'yes']),
    ],
    appendOnly: settings.appendOnly,
    ...(settings.tls === undefined ? {} : { tls: settings.tls }),
    role: 'cluster node',
    startTimeoutMs: settings.startTimeoutMs,
    stopTimeoutMs: settings.stopTimeoutMs,
  });
}

function createCluster(settings: Settings, nodes: readonly string[]): Promise<void> {
  const args = [
    ...(settings.tls === undefined ? [] : ['--tls', '--cacert', settings.tls.caFile]),
    '--cluster',
    'create',
    ...nodes,
    '--cluster-replicas',
    '0',
    '--cluster-yes',
  ];
  return new Promise((resolve, reject) => {
    execFile(
      settings.cliCommand,
      args,
      { timeout: settings.startTimeoutMs, killSignal: 'SIGKILL' },
      (error, stdout, stderr) => {
        if (error === null) {
          resolve();
          return;
        }
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') {
          reject(
            new RedisServerError(
              'not_installed',
              `${settings.cliCommand} is not on PATH. It comes with redis-server (Debian/Ubuntu: apt-get install -y redis-tools).`,
              {
                cause: error,
              },
            ),
          );
          return;
        }
        const output = `${stdout}${stderr}`.slice(-OUTPUT_TAIL_CHARS).trimEnd();
        reject(
          new RedisServerError(
            'not_ready',
            `${settings.cliCommand} --cluster create ${nodes.join(' ')} failed: ${error.message}\n${output}`,
            { cause: error },
          ),
        );
      },
    );
  });
}

/**
 * Every node must agree before a client connects: one that has not heard of a master yet answers MOVED loops
 * or CLUSTERDOWN.
 */
async function waitUntilFormed(nodes: readonly RedisProcess[], settings: Settings): Promise<void> {
  const timeoutMs = settings.startTimeoutMs;
  const clients = nodes.map((node) => {
    const client = new Redis({
      host: HOST,
      port: node.port,
      maxRetriesPerRequest: 1,
      retryStrategy: () => 50,
      lazyConnect: true,
      ...(settings.tls === undefined ? {} : { tls: { ca: settings.tls.ca } }),
    });
    client.on('error', () => undefined); // a refused check is retried by pollUntil
    return client;
  });
  try {
    await pollUntil(
      async () =>
        (await Promise.all(clients.map((client) => client.cluster('INFO')))).every((info) =>
          isFormed(info, nodes.length),
        ),
      {
        message: `every node of the Redis Cluster on ports ${nodes.map((node) => node.port).join(', ')} to report cluster_state:ok`,
        timeoutMs,
        intervalMs: 100,
      },
    );
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new RedisServerError('not_ready', reason, { cause: error });
  } finally {
    for (const client of clients) client.disconnect();
  }
}

function isFormed(info: string, masters: number): boolean {
  const fields = new Map(
    info.split('\r\n').map((line) => {
      const colon = line.indexOf(':');
      return [line.slice(0, colon), line.slice(colon + 1)] as const;
    }),
  );
  return (
    fields.get('cluster_state') === 'ok' &&
    fields.get('cluster_slots_ok') === String(SLOT_COUNT) &&
    fields.get('cluster_known_nodes') === String(masters)
  );
}
