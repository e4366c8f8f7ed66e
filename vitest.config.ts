import { defineConfig } from 'vitest/config';

// Unit tests sit beside the code (packages/**/src/**/*.test.ts); tests that drive real browsers live in test/.
// Browser test files each launch their own Chromium; with 2 cores, files run one at a time (forks, 1 worker).
export default defineConfig({
  test: {
    include: ['packages/**/src/**/*.test.ts', 'test/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 1,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ['default'],
  },
});
