import { ConfigError, loadWorkerConfig } from '@wxq/config';
import { createLogger } from '@wxq/logging';
import { loadHandlers } from './handlers/load.js';
import { startWorker } from './worker.js';

// The composition root: the only place that reads process.env, handles signals or exits.
const bootLog = createLogger({ level: 'info', name: 'worker' });
let config;
try {
  config = loadWorkerConfig(process.env);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  bootLog.fatal({ issues: error.issues }, error.message);
  process.exit(1);
}
const log = createLogger({ level: config.logLevel, name: 'worker' });
const handlers = await loadHandlers(config.handlersModule, process.cwd());
const worker = startWorker(config, { logger: log, handlers });

const shutdownTimeoutMs = config.shutdownTimeoutMs;
function shutdown(signal: string): void {
  log.info({ signal }, 'signal received');
  // worker.close() waits for active jobs with no timeout of its own: a hang becomes a logged exit 1.
  setTimeout(() => {
    log.error({ timeoutMs: shutdownTimeoutMs }, 'shutdown took too long, exiting');
    process.exit(1);
  }, shutdownTimeoutMs).unref();
  worker.stop().then(
    () => process.exit(0),
    (err: unknown) => {
      log.error({ err }, 'shutdown failed');
      process.exit(1);
    },
  );
}
process.once('SIGTERM', shutdown);
process.once('SIGINT', shutdown);
