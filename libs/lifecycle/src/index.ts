export { type MainConfig, type MainOptions, type MainProcess, type Stoppable, runMain } from './run-main.js';
export { shutdownStep } from './shutdown-step.js';
export { closeServer } from './close-server.js';
export { watchRedis } from './watch-redis.js';
