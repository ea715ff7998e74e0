import { type DestinationStream, type Logger, type LoggerOptions, pino } from 'pino';

export type { Logger } from 'pino';

/**
 * Paths pino censors wherever they appear in a log object (two levels deep): the app secret,
 * callback token, AES keys, access_token and credentials (STYLE.md convention 12).
 */
export const REDACTED_PATHS = [
  'appSecret', 'secret', 'token', 'encodingAESKey', 'previousEncodingAESKey', 'access_token', 'accessToken', 'password',
  '*.appSecret', '*.secret', '*.token', '*.encodingAESKey', '*.previousEncodingAESKey', '*.access_token', '*.accessToken', '*.password',
  '*.*.appSecret', '*.*.token', '*.*.encodingAESKey', '*.*.access_token', '*.*.accessToken', '*.*.password',
  'req.headers.authorization', 'req.headers.cookie',
] as const;

export interface LoggerSettings {
  readonly level: LoggerOptions['level'];
  /** The process role: gateway, worker, sandbox, ... */
  readonly name: string;
}

/** A pino logger with redaction; `destination` lets tests read the lines. */
export function createLogger(settings: LoggerSettings, destination?: DestinationStream): Logger {
  const options: LoggerOptions = {
    level: settings.level ?? 'info',
    name: settings.name,
    redact: { paths: [...REDACTED_PATHS], censor: '[redacted]' },
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return destination === undefined ? pino(options) : pino(options, destination);
}
