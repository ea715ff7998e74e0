import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Handlers, demoHandlers, isHandlers } from '@wxq/handlers';

/**
 * The handlers named by WXQ_HANDLERS (a module path, relative to the working directory, or a
 * package name) whose default export is the result of defineHandlers; the demo without it.
 * @throws Error when the module cannot be loaded or exports no handlers
 */
export async function loadHandlers(moduleName: string | undefined, cwd: string): Promise<Handlers> {
  if (moduleName === undefined) return demoHandlers;
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
