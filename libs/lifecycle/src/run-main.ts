import { ConfigError } from '@wxq/config';
import { type Logger, type LoggerSettings, createLogger } from '@wxq/logging';

/** What a running app gives back: `stop()` undoes `start()` and is idempotent. */
export interface Stoppable {
  stop(): Promise<void>;
}

/** The settings every app's config has. */
export interface MainConfig {
  readonly logLevel: LoggerSettings['level'];
  readonly shutdownTimeoutMs: number;
}

export interface MainOptions<C extends MainConfig> {
  /** The logger name: `gateway`, `worker`. */
  readonly name: string;
  /** Parses the environment; throws ConfigError listing every problem. */
  readonly loadConfig: (env: NodeJS.ProcessEnv) => C;
  readonly start: (config: C, log: Logger) => Promise<Stoppable>;
}

/** The process edges runMain touches; tests pass their own. */
export interface MainProcess {
  readonly env: NodeJS.ProcessEnv;
  once(signal: 'SIGTERM' | 'SIGINT', listener: (signal: NodeJS.Signals) => void): unknown;
  exit(code: number): void;
  /** Where log lines go (default stdout). */
  readonly logDestination?: Parameters<typeof createLogger>[1];
}

/**
 * An app's composition root: config (a ConfigError is logged with every issue, then exit 1),
 * logger, start, and on SIGTERM/SIGINT a stop bounded by `shutdownTimeoutMs` (exit 0 when it
 * finishes, 1 when it fails or hangs: close() calls have no timeouts of their own).
 * Resolves once the app has started.
 */
export async function runMain<C extends MainConfig>(
  options: MainOptions<C>,
  proc: MainProcess = process,
): Promise<void> {
  const boot = createLogger({ level: 'info', name: options.name }, proc.logDestination);
  let config: C;
  try {
    config = options.loadConfig(proc.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    boot.fatal({ issues: error.issues }, error.message);
    proc.exit(1);
    return;
  }
  const log = createLogger({ level: config.logLevel, name: options.name }, proc.logDestination);
  let app: Stoppable;
  try {
    app = await options.start(config, log);
  } catch (err) {
    log.fatal({ err }, 'start failed');
    proc.exit(1);
    return;
  }
  const shutdown = (signal: NodeJS.Signals) => {
    log.info({ signal }, 'signal received');
    const deadline = setTimeout(() => {
      log.error({ timeoutMs: config.shutdownTimeoutMs }, 'shutdown took too long, exiting');
      proc.exit(1);
    }, config.shutdownTimeoutMs);
    deadline.unref();
    app.stop().then(
      () => {
        clearTimeout(deadline);
        proc.exit(0);
      },
      (err: unknown) => {
        clearTimeout(deadline);
        log.error({ err }, 'shutdown failed');
        proc.exit(1);
      },
    );
  };
  proc.once('SIGTERM', shutdown);
  proc.once('SIGINT', shutdown);
}
