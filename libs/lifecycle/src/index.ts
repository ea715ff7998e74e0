export { type MainConfig, type MainOptions, type MainProcess, type Stoppable, runMain } from './run-main.js';
export { shutdownStep } from './shutdown-step.js';
