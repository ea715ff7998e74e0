import { hitFixedWindow } from '@wxq/redis';
import type { Middleware } from './compose.js';

/** Logs each message's type and how many replies it produced (never its content). */
export function logMessages(): Middleware {
  return async function logMessages(ctx, next) {
    const started = performance.now();
    await next();
    ctx.log.info(
      { msgType: ctx.message.MsgType, replies: ctx.replies.length, handlerMs: Math.round(performance.now() - started) },
      'handled',
    );
  };
}

export interface PerUserRateLimitOptions {
  /** Messages a user may send per window before the handlers stop answering. */
  readonly max: number;
  readonly windowSeconds: number;
  /** Called instead of the handlers when the user is over the limit (default: no reply). */
  readonly onLimited?: Middleware;
}

/**
 * At most `max` handled messages per user per window, across every worker (a Redis counter).
 * @throws RangeError when max or windowSeconds is not a positive integer
 */
export function perUserRateLimit(options: PerUserRateLimitOptions): Middleware {
  if (!Number.isInteger(options.max) || options.max < 1) throw new RangeError('max must be a positive integer');
  if (!Number.isInteger(options.windowSeconds) || options.windowSeconds < 1)
    throw new RangeError('windowSeconds must be a positive integer');
  return async function perUserRateLimit(ctx, next) {
    const { appId } = ctx.account;
    const keyOf = (window: number) => ctx.keys.userRate(appId, ctx.message.FromUserName, window);
    const { count } = await hitFixedWindow(ctx.redis, keyOf, options.windowSeconds);
    if (count <= options.max) {
      await next();
      return;
    }
    ctx.log.info({ count, max: options.max }, 'user over the rate limit');
    await options.onLimited?.(ctx, () => Promise.resolve());
  };
}
