import type { Logger } from '@wxq/logging';

/**
 * One step of an ordered shutdown: runs it, logs `done` or the failure, and never throws, so one
 * failed step does not skip the ones after it.
 */
export async function shutdownStep(log: Logger, done: string, run: () => Promise<unknown>): Promise<void> {
  try {
    await run();
    log.info(done);
  } catch (err) {
    log.error({ err }, `shutdown step failed: ${done}`);
  }
}
