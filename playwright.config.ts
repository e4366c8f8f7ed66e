/**
 * End-to-end tests of the dashboard with @playwright/test (e2e/*.spec.ts), part of `npm test`. Chromium is the one
 * setup installs (the system Chromium that browser-harness finds, BROWSER_POOL_CHROMIUM to override), launched with
 * the pool's flags. Firefox: Playwright drives only its own patched Firefox build; where none is installed (here the
 * system firefox-esr is driven over WebDriver BiDi by browser-harness instead) the firefox project's tests skip and
 * say why. Screenshots and failure traces land in .cache/playwright/ (gitignored), kept as the run's artifacts.
 */
import { existsSync } from 'node:fs';

import { defineConfig, devices } from '@playwright/test';
import { firefox } from 'playwright-core';

import { CHROMIUM_ARGS, findChromium } from './packages/browser-harness/src/node/drivers/chromium';

/** Playwright's own Firefox build, when it is installed; undefined otherwise. */
export const PLAYWRIGHT_FIREFOX = existsSync(firefox.executablePath()) ? firefox.executablePath() : undefined;

export default defineConfig({
  testDir: 'e2e',
  outputDir: '.cache/playwright/results',
  // one worker: the machine has 2 cores and each worker starts a browser and a duckdb-wasm instance
  workers: 1,
  fullyParallel: false,
  timeout: 120_000,
  expect: { timeout: 30_000 },
  reporter: [['list']],
  use: { viewport: { width: 1400, height: 900 }, screenshot: 'only-on-failure', trace: 'retain-on-failure' },
  projects: [
    { name: 'chromium', use: { ...devices['Desktop Chrome'], viewport: { width: 1400, height: 900 }, launchOptions: { executablePath: findChromium(), args: CHROMIUM_ARGS } } },
    { name: 'firefox', use: { ...devices['Desktop Firefox'], viewport: { width: 1400, height: 900 } } },
  ],
});
