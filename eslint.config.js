// Lint: type-aware typescript-eslint, no floating promises, curly, sorted imports, no console in library code,
// and the package dependency rules of DESIGN.md (page -> protocol only; protocol -> nothing local).
import js from '@eslint/js';
import simpleImportSort from 'eslint-plugin-simple-import-sort';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/node_modules/**', 'dist/**', '**/.tsbuild/**', '.cache/**', 'scripts/setup.mjs', 'scripts/test.mjs', 'packages/cli/bin/*.mjs', 'eslint.config.js', '.devkit/**', '.devkit-db/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
      globals: { ...globals.node },
    },
    plugins: { 'simple-import-sort': simpleImportSort },
    rules: {
      curly: ['error', 'all'],
      eqeqeq: ['error', 'always'],
      'simple-import-sort/imports': 'error',
      'simple-import-sort/exports': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    // Vitest's asymmetric matchers (expect.stringMatching, ...) are typed `any`.
    files: ['**/*.test.ts'],
    rules: { '@typescript-eslint/no-unsafe-assignment': 'off' },
  },
  {
    files: ['packages/*/src/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: { 'no-console': 'error' },
  },
  {
    files: ['packages/browser-harness/src/protocol/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['../*', '@browser-pool/*', 'node:*'], message: 'protocol imports nothing local and no platform API' }] },
      ],
    },
  },
  {
    files: ['packages/browser-harness/src/page/**/*.ts'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['../node/*', '../node', '@browser-pool/*', 'node:*'], message: 'the page imports only ../protocol and onnxruntime-web' },
          ],
        },
      ],
    },
  },
  {
    files: ['packages/pool/src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['@browser-pool/db-integration*'], message: 'pool emits events; it never imports db-integration' }] },
      ],
    },
  },
  {
    files: ['packages/db-integration/src/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['@browser-pool/browser-harness*', '@browser-pool/cli*'], message: 'db-integration never imports browser-harness or cli' },
            { group: ['@browser-pool/pool'], allowTypeImports: true, message: 'db-integration may import only the pool\'s types' },
          ],
        },
      ],
    },
  },
  {
    // DESIGN.md: the dashboard reads only a snapshot that db-integration writes (the CLI wires the two together).
    files: ['packages/dashboard/src/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['@browser-pool/*'], message: 'the dashboard imports no other package: it reads a snapshot db-integration wrote' }] },
      ],
    },
  },
  {
    files: ['packages/dashboard/src/page/**/*.ts'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['@browser-pool/*', 'node:*', '../*.ts', '../server', '../files', '../static-folder'], message: 'the dashboard page runs in the browser: DOM and duckdb-wasm only' }] },
      ],
    },
  },
);
