import { loadNotifyApiConfig } from '@wxq/config';
import { runMain } from '@wxq/lifecycle';
import { startApi } from './api.js';

// The composition root: the only place that reads process.env, handles signals or exits.
await runMain({
  name: 'api',
  loadConfig: loadNotifyApiConfig,
  start: (config, log) => startApi(config, { logger: log }),
});
