import { ConfigError, loadGatewayConfig } from '@wxq/config';
import { createLogger } from '@wxq/logging';
import { startGateway } from './gateway.js';

// The composition root: the only place that reads process.env, handles signals or exits.
const bootLog = createLogger({ level: 'info', name: 'gateway' });
let config;
try {
  config = loadGatewayConfig(process.env);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  bootLog.fatal({ issues: error.issues }, error.message);
  process.exit(1);
}
const log = createLogger({ level: config.logLevel, name: 'gateway' });
const gateway = await startGateway(config, { logger: log });

const shutdownTimeoutMs = config.shutdownTimeoutMs;
function shutdown(signal: string): void {
  log.info({ signal }, 'signal received');
  // close() has no timeout of its own: a hang becomes a logged exit 1.
  setTimeout(() => {
    log.error({ timeoutMs: shutdownTimeoutMs }, 'shutdown took too long, exiting');
    process.exit(1);
  }, shutdownTimeoutMs).unref();
  gateway.stop().then(
    () => process.exit(0),
    (err: unknown) => {
      log.error({ err }, 'shutdown failed');
      process.exit(1);
    },
  );
}
process.once('SIGTERM', shutdown);
process.once('SIGINT', shutdown);
