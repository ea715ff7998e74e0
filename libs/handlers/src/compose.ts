import type { HandlerContext } from './context.js';

export type Next = () => Promise<void>;
/** Runs around the handler: call `next()` once to continue, or not at all to stop here. */
export type Middleware = (ctx: HandlerContext, next: Next) => Promise<void> | void;

/**
 * Composes middleware into one onion, once, at start-up (Hono src/compose.ts does the same).
 * @throws Error at run time when a middleware calls next() twice
 */
export function compose(
  middleware: readonly Middleware[],
  last: (ctx: HandlerContext) => Promise<void>,
): (ctx: HandlerContext) => Promise<void> {
  return (ctx) => {
    let reached = -1;
    const dispatch = async (index: number): Promise<void> => {
      if (index <= reached) throw new Error('next() called more than once');
      reached = index;
      const current = middleware[index];
      if (current === undefined) {
        await last(ctx);
        return;
      }
      await current(ctx, () => dispatch(index + 1));
    };
    return dispatch(0);
  };
}
