export {
  batchedDestination,
  createLogger,
  type Logger,
  type LoggerSettings,
  REDACTED_PATHS,
  unredacted,
} from './create-logger.js';
