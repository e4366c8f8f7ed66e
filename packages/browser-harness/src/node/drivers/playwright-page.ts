/** Adapts a Playwright browser (local or remote) to {@link openWorkerPage}. */
import type { Browser, BrowserContext } from 'playwright-core';

import type { LaunchedPage, LaunchRequest } from './types';
import { openWorkerPage, pageOps } from './worker-page';

export async function openPlaywrightPage(
  browser: Browser,
  request: LaunchRequest,
  owned: { pid: number | undefined; shutdown: () => Promise<void> },
  /** Prepares the page's context before the page opens (e.g. routes); the context gets `contextOptions`. */
  setup?: { contextOptions?: { ignoreHTTPSErrors?: boolean }; prepare?: (context: BrowserContext) => Promise<void> },
): Promise<LaunchedPage> {
  let page;
  try {
    if (setup === undefined) {
      page = await browser.newPage();
    } else {
      const context = await browser.newContext(setup.contextOptions);
      await setup.prepare?.(context);
      page = await context.newPage();
    }
  } catch (error) {
    await owned.shutdown();
    throw error;
  }
  const p = page;
  return openWorkerPage(
    pageOps(p, (gone) => {
      browser.on('disconnected', () => gone('browser disconnected'));
      p.on('crash', () => gone('page crashed'));
      p.on('close', () => gone('page closed'));
    }),
    request,
    { ...owned, browserVersion: browser.version() },
  );
}
