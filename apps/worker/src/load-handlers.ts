import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Handlers, demoHandlers, isHandlers } from '@wxq/handlers';
import type { Logger } from '@wxq/logging';

/** WXQ_HANDLERS's value that asks for the demo handlers on purpose. */
export const DEMO_HANDLERS = 'demo';

/**
 * The handlers named by WXQ_HANDLERS (a module path, relative to the working directory, or a
 * package name) whose default export is the result of defineHandlers; the demo for `demo`, and,
 * with a warning, without it (the config refuses that under NODE_ENV=production).
 * @throws Error when the module cannot be loaded or exports no handlers
 */
export async function loadHandlers(moduleName: string | undefined, cwd: string, log: Logger): Promise<Handlers> {
  if (moduleName === DEMO_HANDLERS) return demoHandlers;
  if (moduleName === undefined) {
    log.warn(
      'WXQ_HANDLERS is not set: the echo demo handlers answer your users (WXQ_HANDLERS=demo says so on purpose)',
    );
    return demoHandlers;
  }
  const specifier =
    moduleName.startsWith('.') || moduleName.startsWith('/')
      ? pathToFileURL(resolve(cwd, moduleName)).href
      : moduleName;
  const loaded = (await import(specifier)) as { default?: unknown; handlers?: unknown };
  const candidate = loaded.default ?? loaded.handlers;
  if (!isHandlers(candidate)) {
    throw new Error(`${moduleName} must export the result of defineHandlers(...) as its default export`);
  }
  return candidate;
}
