// What the test run's global setup (libs/testing/src/global-setup.ts) provides to every suite
// through vitest's inject(), for the test projects (test/tsconfig.json) that type-check suites.
import 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
  }
}
