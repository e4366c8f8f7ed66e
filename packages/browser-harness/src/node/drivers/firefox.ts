/**
 * Firefox ESR through puppeteer-core over WebDriver BiDi. Playwright's Firefox launcher needs its patched build, and
 * its `moz-firefox` BiDi channel fails on ESR 153 at `newPage()` (emulation.setMediaFeaturesOverride is unknown to
 * it); puppeteer-core drives the stock ESR over BiDi without patches. WebGPU needs two prefs plus Mesa's lavapipe.
 */
import { existsSync } from 'node:fs';

import puppeteer, { type Browser, type Page } from 'puppeteer-core';

import { BrowserUnavailableError } from '../../protocol';
import type { BrowserDriver, LaunchedPage, LaunchRequest } from './types';
import { openWorkerPage, pageOps } from './worker-page';

const CANDIDATES = ['/usr/bin/firefox-esr', '/usr/lib/firefox-esr/firefox-esr', '/usr/bin/firefox'];

export const FIREFOX_PREFS: Record<string, unknown> = {
  'dom.webgpu.enabled': true,
  'gfx.webgpu.ignore-blocklist': true,
  // Keep a hidden worker page at full speed.
  'dom.min_background_timeout_value': 0,
  'dom.timeout.enable_budget_timer_throttling': false,
};

export interface FirefoxDriverOptions {
  /** @default `$BROWSER_POOL_FIREFOX`, else /usr/bin/firefox-esr, ... */
  executablePath?: string;
  /** Extra prefs merged over {@link FIREFOX_PREFS}. */
  prefs?: Record<string, unknown>;
  /** @default true */
  headless?: boolean;
}

export function findFirefox(): string | undefined {
  const fromEnv = process.env.BROWSER_POOL_FIREFOX;
  return fromEnv !== undefined && fromEnv !== '' ? fromEnv : CANDIDATES.find((p) => existsSync(p));
}

export class FirefoxDriver implements BrowserDriver {
  readonly kind = 'firefox' as const;

  constructor(private readonly options: FirefoxDriverOptions = {}) {}

  async launch(request: LaunchRequest): Promise<LaunchedPage> {
    const executablePath = this.options.executablePath ?? findFirefox();
    if (executablePath === undefined || !existsSync(executablePath)) {
      throw new BrowserUnavailableError(
        `Firefox not found (looked at ${executablePath ?? CANDIDATES.join(', ')}); run \`npm run setup\` (installs Debian firefox-esr) or set BROWSER_POOL_FIREFOX`,
        { details: { browser: 'firefox' } },
      );
    }
    let browser: Browser;
    try {
      browser = await puppeteer.launch({
        browser: 'firefox',
        executablePath,
        headless: this.options.headless ?? true,
        extraPrefsFirefox: { ...FIREFOX_PREFS, ...this.options.prefs },
        timeout: request.timeoutMs,
        handleSIGINT: false, // as for Chromium: Ctrl-C belongs to the application
      });
    } catch (error) {
      throw new BrowserUnavailableError(`Firefox at ${executablePath} failed to launch: ${(error as Error).message}`, {
        cause: error,
        details: { browser: 'firefox', executablePath },
      });
    }
    return openFirefoxPage(browser, request, browser.process()?.pid, () => browser.close().catch(() => undefined));
  }
}

/**
 * Opens our worker page in a new tab of a puppeteer BiDi Firefox (launched here or connected to). `shutdown` gets
 * the tab (undefined when opening it failed); the page reports loss when the browser disconnects or the tab closes.
 */
export async function openFirefoxPage(
  browser: Browser,
  request: LaunchRequest,
  pid: number | undefined,
  shutdown: (page: Page | undefined) => Promise<void>,
): Promise<LaunchedPage> {
  let page: Page;
  try {
    page = await browser.newPage();
  } catch (error) {
    await shutdown(undefined);
    throw error;
  }
  const p = page;
  return openWorkerPage(
    pageOps(p, (gone) => {
      browser.on('disconnected', () => gone('browser disconnected'));
      p.on('close', () => gone('page closed'));
    }),
    request,
    { browserVersion: (await browser.version()).replace(/^firefox\//i, ''), pid, shutdown: () => shutdown(p) },
  );
}
