import { loadGatewayConfig } from '@wxq/config';
import { runMain } from '@wxq/lifecycle';
import { startGateway } from './gateway.js';

// The composition root: the only place that reads process.env, handles signals or exits.
await runMain({
  name: 'gateway',
  loadConfig: loadGatewayConfig,
  start: (config, log) => startGateway(config, { logger: log }),
});
