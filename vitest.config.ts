import { defineConfig } from 'vitest/config';

// Workspace libs are read from source through their "@wxq/source" export condition.
const conditions = ['@wxq/source', 'node', 'import', 'default'];
// Vitest also hands ssr.resolve.conditions to its workers as Node `--conditions`, where `import`
// makes require() load packages' ESM entry points (is-promise's index.mjs, so Express's router
// gets a namespace object instead of a function and every route answers 500). Vite applies
// import/require/default by itself, so the server side lists only what is ours.
const serverConditions = ['@wxq/source', 'node'];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions: serverConditions, externalConditions: ['@wxq/source'] } },
  // The environment globalSetup runs in, which imports workspace libs (@wxq/redis-server) too.
  environments: { __vitest__: { resolve: { conditions: serverConditions, externalConditions: ['@wxq/source'] } } },
  test: {
    include: [
      '{libs,apps}/*/{src,test}/**/*.test.ts',
      'e2e/**/*.test.ts',
      'scripts/**/*.test.ts',
      'bench/**/*.test.ts',
    ],
    // One real Redis per run (REDIS_URL, a container, or a private redis-server), handed to tests by inject().
    globalSetup: ['libs/testing/src/global-setup.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    coverage: {
      provider: 'v8',
      include: ['libs/*/src/**/*.ts', 'apps/*/src/**/*.ts'],
      exclude: ['**/*.test.ts', '**/test-*.ts', '**/main.ts'],
      reporter: ['text-summary', 'text'],
    },
  },
});
