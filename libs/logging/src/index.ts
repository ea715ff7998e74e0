export { createLogger, type Logger, type LoggerSettings, REDACTED_PATHS } from './create-logger.js';
