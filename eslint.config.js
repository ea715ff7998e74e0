// One linter for the whole repo. Type-aware promise rules stay on: a forgotten `await` is this
// system's most likely bug.
import js from '@eslint/js';
import { importX } from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/coverage/**', '**/node_modules/**', 'eslint.config.js'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { project: './tsconfig.json', tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      // A `default` clause is an explicit "and everything else"; without one every case must be named.
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      '@typescript-eslint/no-unnecessary-condition': ['error', { allowConstantLoopConditions: true }],
      // Prettier wraps code at 120; this holds comments to it too. Strings, URLs and regexps are
      // data: breaking them would change what they say.
      'max-len': [
        'error',
        { code: 120, ignoreUrls: true, ignoreStrings: true, ignoreTemplateLiterals: true, ignoreRegExpLiterals: true },
      ],
    },
  },
  {
    // Every import is declared by the package.json nearest to the file that makes it: production
    // code by `dependencies`, tests and their helpers by `devDependencies` too. With the
    // workspaces' own package.json files, this checks the dependency direction between packages.
    plugins: { 'import-x': importX },
    rules: {
      'import-x/no-extraneous-dependencies': [
        'error',
        {
          devDependencies: [
            '**/*.test.ts',
            '**/test/**',
            'libs/testing/**',
            'test-env.d.ts',
            '**/examples/**',
            'e2e/**',
            'bench/**',
            'scripts/**',
            'vitest.config.ts',
            'eslint.config.js',
          ],
          includeTypes: true,
        },
      ],
    },
  },
);
