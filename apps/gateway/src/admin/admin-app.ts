import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { Logger } from '@wxq/logging';
import { QUEUES } from '@wxq/queue';
import type { RedisClient } from '@wxq/redis';
import type { Queue } from 'bullmq';
import express, { type Express } from 'express';
import { createBasicAuth } from './basic-auth.js';
import { createLoginLockout } from './login-lockout.js';
import type { RegisteredMetrics } from '../metrics-registry.js';

/** Failed logins in a row from one address (each within a minute of the last) that lock it out... */
const MAX_FAILED_LOGINS = 5;
/** ...for this long: guessing a password then takes a minute per five tries, on every gateway at once. */
const LOCKOUT_SECONDS = 60;

/** A queue on the board, and its shard when there are several (docs/shards.md). */
export interface BoardQueue {
  readonly queue: Queue;
  readonly shard: { readonly index: number; readonly slot: number } | undefined;
}

export interface AdminAppDeps {
  readonly queues: readonly BoardQueue[];
  readonly metrics: RegisteredMetrics;
  readonly user: string;
  readonly password: string;
  /** Where Bull Board is served (ADMIN_BASE_PATH): the path the browser sees, behind a proxy too. */
  readonly basePath: string;
  /** Where failed logins are counted, shared by every gateway. */
  readonly redis: RedisClient;
  readonly loginFailuresKey: (address: string) => string;
  /** TRUST_PROXY: whose X-Forwarded-For names the client address that failed logins count against. */
  readonly trustProxy: boolean | number | string;
  readonly log: Logger;
}

/** The admin listener's app: Bull Board and Prometheus /metrics, all behind basic auth. */
export function createAdminApp(deps: AdminAppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  // Express compiles it with proxy-addr, as the public listener does: req.ip is the client nginx saw.
  app.set('trust proxy', deps.trustProxy);
  const lockout = createLoginLockout({
    redis: deps.redis,
    keyOf: deps.loginFailuresKey,
    maxFailures: MAX_FAILED_LOGINS,
    lockSeconds: LOCKOUT_SECONDS,
  });
  app.use(createBasicAuth({ user: deps.user, password: deps.password, realm: 'wxq admin', lockout, log: deps.log }));

  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(deps.basePath);
  createBullBoard({
    queues: deps.queues.map(
      ({ queue, shard }) =>
        new BullMQAdapter(
          queue,
          // Bull Board names a queue by its name: shards' queues get theirs apart by a `s<i>/` in front.
          shard === undefined
            ? { description: descriptionOf(queue.name) }
            : {
                prefix: `s${shard.index}/`,
                description: `${descriptionOf(queue.name)} (shard ${shard.index}, slot ${shard.slot})`,
              },
        ),
    ),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'wxq queues' } },
  });
  app.use(deps.basePath, serverAdapter.getRouter() as express.Router);

  app.get('/metrics', async (_req, res) => {
    res.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });
  return app;
}

/** The catalog's description of a wxq queue, shown under its name in Bull Board. */
function descriptionOf(queueName: string): string {
  return Object.values(QUEUES).find((definition) => definition.name === queueName)?.description ?? '';
}
