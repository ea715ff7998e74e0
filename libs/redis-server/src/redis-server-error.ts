export type RedisServerErrorCode = 'not_installed' | 'port_in_use' | 'exited_early' | 'not_ready' | 'stopped';

/** Why a redis-server could not be started or controlled; `code` is stable, the message is for people. */
export class RedisServerError extends Error {
  override name = 'RedisServerError' as const;
  readonly code: RedisServerErrorCode;

  constructor(code: RedisServerErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}
