/**
 * The little this library logs through: object first, then a message (STYLE.md convention 12).
 * A pino Logger fits as it is. Nothing here ever logs a token, a secret, a URL or message content.
 */
export interface ApiLogger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export const SILENT_LOGGER: ApiLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
};
