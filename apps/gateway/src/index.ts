export { type GatewayDeps, type RunningGateway, startGateway } from './gateway.js';
