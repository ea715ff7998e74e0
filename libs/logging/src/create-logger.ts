import { type DestinationStream, type Logger, type LoggerOptions, pino } from 'pino';

export type { Logger } from 'pino';

const SECRET_KEYS = [
  'appSecret',
  'secret',
  'token',
  'encodingAESKey',
  'previousEncodingAESKey',
  'access_token',
  'accessToken',
  'password',
];

/**
 * Paths pino censors: the app secret, callback token, AES keys, access_token and credentials, at
 * the top of a log object and under the keys that hold accounts, config and requests (STYLE.md
 * convention 12). Serializers whitelist what requests and errors log, so this is the safety net.
 * No `*` wildcards: a wildcard path made every log call about 3x slower (bench, 24 vs 8 us).
 */
const REDACTED_PATHS = [
  ...SECRET_KEYS,
  ...['account', 'config', 'body', 'query', 'params'].flatMap((parent) => SECRET_KEYS.map((key) => `${parent}.${key}`)),
  'req.headers.authorization',
  'req.headers.cookie',
  // ioredis puts the failed command on its errors, arguments included: AUTH's are the Redis user
  // and password (a Cluster's under the last node's error), other commands' are job data.
  'err.command.args',
  'err.lastNodeError.command.args',
] as const;

export interface LoggerSettings {
  readonly level: LoggerOptions['level'];
  /** The process role: gateway, worker, sandbox, ... */
  readonly name: string;
}

/**
 * How an app's lines are written: off the event loop, in batches of about 4 KB, and at least every
 * 250 ms, so a quiet process's lines still show up at once. Pino's default writes each line on its
 * own: at a line per push that was about 5% of the gateway's CPU (profile; the batches measured
 * +6% req/s, docs/deploy.md "Logs"). Pino flushes what is buffered when the process exits, crashes
 * included; only a SIGKILL (or the OOM killer) loses the last quarter second of lines. Past 16 MB
 * waiting (a reader that stopped reading) lines are dropped, not held: the log must not take the
 * process down.
 */
const BATCHED_WRITES = { minLength: 4096, periodicFlush: 250, maxLength: 16 * 1024 * 1024 } as const;

/** A batched destination ({@link BATCHED_WRITES}) writing to a file path or descriptor. */
export function batchedDestination(dest: string | number): DestinationStream {
  return pino.destination({ dest, sync: false, ...BATCHED_WRITES });
}

// One stdout destination per process: two batching streams on one descriptor could split each
// other's lines.
let stdout: DestinationStream | undefined;

/** A pino logger with redaction, writing to stdout in batches; `destination` lets tests read the lines. */
export function createLogger(settings: LoggerSettings, destination?: DestinationStream): Logger {
  const options: LoggerOptions = {
    level: settings.level ?? 'info',
    name: settings.name,
    redact: { paths: [...REDACTED_PATHS], censor: '[redacted]' },
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return pino(options, destination ?? (stdout ??= batchedDestination(1)));
}

/**
 * A child of `logger` that redacts nothing, for a hot line built from whitelisted fields only
 * (the gateway's access line: one per push). Redaction cost about a third of such a line (bench);
 * it censors keys such a line never has, and never a message or an error's text.
 */
export function unredacted(logger: Logger): Logger {
  return logger.child({}, { redact: [] });
}
