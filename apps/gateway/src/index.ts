export { type GatewayDeps, type RunningGateway, startGateway } from './gateway.js';
export { BULL_BOARD_PATH } from './admin-app.js';
