export { batchedDestination, createLogger, type Logger, type LoggerSettings, unredacted } from './create-logger.js';
