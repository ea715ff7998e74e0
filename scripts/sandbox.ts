// `npm start`: the whole system on one machine. Without a WeChat account it runs the WeChat API
// simulator with a demo account; with WECHAT_* (or WXQ_ACCOUNTS_FILE) it serves that account.
// The composition root: the only sandbox file that reads the environment, prints or exits.
import { randomBytes } from 'node:crypto';
import { startApi } from '@wxq/api';
import { ConfigError, loadGatewayConfig, loadNotifyApiConfig, loadWorkerConfig } from '@wxq/config';
import { startGateway } from '@wxq/gateway';
import { createLogger } from '@wxq/logging';
import {
  type WechatApiSimulator,
  readSandboxState,
  removeSandboxState,
  startWechatApiSimulator,
  writeSandboxState,
} from '@wxq/wechat-sim';
import { DEMO_HANDLERS, loadHandlers, startWorkerWithAdmin } from '@wxq/worker';
import { loadOrCreateDemoAccount } from './demo-account.js';
import { isProcessRunning } from './process-alive.js';
import { NO_REDIS_HELP, type SandboxRedis, startSandboxRedis, stopRedisOfKilledSandbox } from './sandbox-redis.js';

const env = process.env;
const stateDir = env['WXQ_STATE_DIR'] ?? '.wxq';
// Components log warnings and errors only, so the banner stays readable; LOG_LEVEL=info shows all.
const log = createLogger({ level: env['LOG_LEVEL'] ?? 'warn', name: 'sandbox' });
const stops: { name: string; stop: () => Promise<void> }[] = [];

async function stopAll(): Promise<void> {
  await removeSandboxState(stateDir);
  for (const { name, stop } of stops.reverse()) {
    try {
      log.info({ part: name }, 'stopping');
      await stop();
    } catch (err) {
      log.error({ err }, `could not stop ${name}`);
    }
  }
}

let stopping = false;
function shutdown(signal: string): void {
  if (stopping) return;
  stopping = true;
  console.log(`\n${signal}: stopping the sandbox…`);
  setTimeout(() => {
    console.error('the sandbox did not stop within 30 s');
    process.exit(1);
  }, 30_000).unref();
  stopAll().then(
    () => process.exit(0),
    () => process.exit(1),
  );
}
// `on`, not `once`: a terminal or npm may deliver the signal twice, and a second default SIGTERM
// would kill the process before Redis and the temp dir are cleaned up.
process.on('SIGINT', () => {
  shutdown('SIGINT');
});
process.on('SIGTERM', () => {
  shutdown('SIGTERM');
});

// One sandbox per state dir: a second would overwrite the first's state and Redis lease.
const running = await readSandboxState(stateDir).catch(() => undefined);
if (running?.pid !== undefined && running.pid !== process.pid && isProcessRunning(running.pid)) {
  console.error(
    `a sandbox is already running (pid ${String(running.pid)}, gateway ${running.gatewayUrl}); stop it first, or set WXQ_STATE_DIR`,
  );
  process.exit(1);
}

try {
  let redisUrl = env['REDIS_URL'];
  let redis: SandboxRedis | undefined;
  const cleanedUp = await stopRedisOfKilledSandbox(stateDir);
  if (cleanedUp !== undefined) console.log(cleanedUp);
  if (redisUrl === undefined && env['REDIS_CLUSTER_NODES'] === undefined) {
    const started = await startSandboxRedis(env, stateDir);
    if (started === undefined) {
      console.error(NO_REDIS_HELP);
      process.exit(1);
    }
    redis = started;
    stops.push({ name: 'redis', stop: () => started.stop() });
    redisUrl = started.url;
  }

  const realAccount = env['WECHAT_APPID'] !== undefined || env['WXQ_ACCOUNTS_FILE'] !== undefined;
  const demo = realAccount ? undefined : await loadOrCreateDemoAccount(stateDir);
  let sim: WechatApiSimulator | undefined;
  if (demo !== undefined) {
    // enforceQuota: the simulator refuses what WeChat would (send windows, typing, docs/quota.md);
    // `npm run sim` tells it of every push it sends.
    const simulator = await startWechatApiSimulator({
      accounts: [{ appId: demo.appId, appSecret: demo.appSecret }],
      port: Number(env['SIM_PORT'] ?? '4000'),
      enforceQuota: true,
    });
    sim = simulator;
    stops.push({ name: 'simulator', stop: () => simulator.stop() });
  }
  const generatedPassword = env['ADMIN_PASSWORD'] === undefined ? randomBytes(12).toString('base64url') : undefined;
  // The notifications API's bearer token, made for this run unless WXQ_API_TOKENS names some.
  const generatedApiToken = env['WXQ_API_TOKENS'] === undefined ? randomBytes(24).toString('base64url') : undefined;
  const settings = {
    ...env,
    ...(redisUrl === undefined ? {} : { REDIS_URL: redisUrl }),
    HOST: env['HOST'] ?? '127.0.0.1',
    ADMIN_PASSWORD: env['ADMIN_PASSWORD'] ?? generatedPassword,
    ...(demo === undefined || sim === undefined
      ? {}
      : {
          WECHAT_APPID: demo.appId,
          WECHAT_APPSECRET: demo.appSecret,
          WECHAT_TOKEN: demo.token,
          WECHAT_ENCODING_AES_KEY: demo.encodingAESKey,
          WECHAT_API_BASE_URL: sim.url,
        }),
  };
  const gatewayConfig = loadGatewayConfig(settings);
  // Both apps read ADMIN_PORT: the worker's probes and /metrics go next to the gateway's admin port.
  const workerConfig = loadWorkerConfig({
    ...settings,
    ADMIN_PORT: gatewayConfig.admin.port === 0 ? '0' : String(gatewayConfig.admin.port + 1),
  });
  const gateway = await startGateway(gatewayConfig, { logger: log.child({ app: 'gateway' }) });
  stops.push({ name: 'gateway', stop: () => gateway.stop() });
  // WeChat pushes the delivery reports of template and subscribe sends to the callback URL
  // (docs/notifications.md): the simulator does the same, to this gateway.
  if (sim !== undefined && demo !== undefined) {
    sim.setCallback(demo.appId, {
      url: `http://127.0.0.1:${gateway.publicPort}/wechat`,
      token: demo.token,
      encodingAESKey: demo.encodingAESKey,
    });
  }
  const worker = await startWorkerWithAdmin(workerConfig, {
    logger: log.child({ app: 'worker' }),
    // The sandbox runs the demo on purpose unless told otherwise.
    handlers: await loadHandlers(workerConfig.handlersModule ?? DEMO_HANDLERS, process.cwd(), log),
  });
  stops.push({ name: 'worker', stop: () => worker.stop() });
  const api = await startApi(
    loadNotifyApiConfig({ ...settings, WXQ_API_TOKENS: env['WXQ_API_TOKENS'] ?? generatedApiToken }),
    { logger: log.child({ app: 'api' }) },
  );
  stops.push({ name: 'api', stop: () => api.stop() });
  const apiUrl = `http://127.0.0.1:${String(api.port)}`;

  const gatewayUrl = `http://127.0.0.1:${gateway.publicPort}`;
  const adminUrl = gateway.adminPort === undefined ? undefined : `http://127.0.0.1:${gateway.adminPort}`;
  const account = gatewayConfig.accounts[0];
  const lines = [
    '',
    'wxq sandbox is running',
    `  Redis          ${redis === undefined ? 'REDIS_URL / REDIS_CLUSTER_NODES from the environment' : redis.source}`,
    `  gateway        ${gatewayUrl}/wechat`,
    sim === undefined
      ? `  WeChat API     ${workerConfig.api.baseUrl}`
      : `  WeChat API     simulator at ${sim.url} (demo account ${demo?.appId ?? ''})`,
    adminUrl === undefined
      ? '  admin          not started (set ADMIN_PASSWORD)'
      : `  Bull Board     ${adminUrl}${gatewayConfig.admin.basePath}   /metrics`,
    `  worker probes  http://127.0.0.1:${worker.adminPort}/readyz   /metrics`,
    `  API            ${apiUrl}/api/v1/messages   (docs/notifications.md)`,
    generatedApiToken === undefined ? '' : `  API token      ${generatedApiToken}   (generated for this run)`,
    adminUrl === undefined || generatedPassword === undefined
      ? ''
      : `  admin login    admin / ${generatedPassword}   (generated for this run)`,
    `  state file     ${stateDir}/sandbox.json`,
    '',
    'Send your first message (in another terminal):',
    '  npm run sim -- send text "hello"',
    ...(demo === undefined || generatedApiToken === undefined
      ? []
      : [
          'and a template message:',
          `  curl -s ${apiUrl}/api/v1/messages -H 'Authorization: Bearer ${generatedApiToken}' \\`,
          `    -H 'Content-Type: application/json' \\`,
          `    -d '{"to":"oSandboxUser","template":{"id":"demo_template","data":{"thing1":{"value":"Order 42"}}}}'`,
        ]),
    '',
    'Ctrl-C stops everything.',
  ];
  console.log(lines.filter((line, i) => line !== '' || i === 0 || lines[i - 1] !== '').join('\n'));
  // Written last: its presence tells `npm run sim` (and tests) that everything is up.
  await writeSandboxState(stateDir, {
    gatewayUrl,
    apiUrl,
    ...(sim === undefined ? {} : { simulatorUrl: sim.url }),
    ...(adminUrl === undefined ? {} : { adminUrl }),
    account: demo ?? { appId: account?.appId ?? '', token: account?.token ?? '' },
    pid: process.pid,
    ...(redis === undefined
      ? {}
      : { redis: { url: redis.url, ...(redis.dir === undefined ? {} : { dir: redis.dir }) } }),
  });
} catch (error) {
  if (error instanceof ConfigError) console.error(error.message);
  else console.error(error);
  await stopAll();
  process.exit(1);
}
