import { loadWorkerConfig } from '@wxq/config';
import { runMain } from '@wxq/lifecycle';
import { loadHandlers } from './load-handlers.js';
import { startWorkerWithAdmin } from './worker.js';

// The composition root: the only place that reads process.env, handles signals or exits.
await runMain({
  name: 'worker',
  loadConfig: loadWorkerConfig,
  start: async (config, log) =>
    startWorkerWithAdmin(config, {
      logger: log,
      handlers: await loadHandlers(config.handlersModule, process.cwd(), log),
    }),
});
