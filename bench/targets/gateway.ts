// The real gateway, started as in production (startGateway), logging every request to a file in
// production's batches, with its admin listener on so that it records its metrics too: everything on.
import { join } from 'node:path';
import { loadGatewayConfig } from '@wxq/config';
import { batchedDestination, createLogger } from '@wxq/logging';
import { startGateway } from '@wxq/gateway';
import { BENCH_ACCOUNT } from '../push-fixture.js';
import { reportPort } from './report-port.js';

const config = loadGatewayConfig({
  ADMIN_PASSWORD: 'bench-admin',
  ADMIN_PORT: '0',
  ...process.env,
  PORT: '0',
  HOST: '127.0.0.1',
  WECHAT_APPID: BENCH_ACCOUNT.appId,
  WECHAT_TOKEN: BENCH_ACCOUNT.token,
});
const logFile = join(process.env['BENCH_LOG_DIR'] ?? '/tmp', 'gateway-bench.log');
const logger = createLogger({ level: 'info', name: 'gateway' }, batchedDestination(logFile));
const gateway = await startGateway(config, { logger });
reportPort(gateway.publicPort);
process.once('SIGTERM', () => {
  void gateway.stop().then(() => process.exit(0));
});
