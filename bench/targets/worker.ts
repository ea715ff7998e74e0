// The real worker process (demo handlers: echo), started as in production.
import { loadWorkerConfig } from '@wxq/config';
import { createLogger } from '@wxq/logging';
import { demoHandlers } from '@wxq/handlers';
import { startWorker } from '@wxq/worker';
import { pino } from 'pino';
import { reportPort } from './report-port.js';

// It runs the demo on purpose (NODE_ENV=production asks for that by name).
const config = loadWorkerConfig({ WXQ_HANDLERS: 'demo', ...process.env });
const logger = createLogger({ level: 'info', name: 'worker' }, pino.destination({ dest: '/dev/null', sync: false }));
const worker = startWorker(config, { logger, handlers: demoHandlers });
reportPort(0);
process.once('SIGTERM', () => {
  void worker.stop().then(() => process.exit(0));
});
