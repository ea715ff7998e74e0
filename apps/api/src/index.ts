export { type ApiDeps, type RunningApi, startApi } from './api.js';
