/** Adapts a Playwright browser (local or remote) to {@link openWorkerPage}. */
import type { Browser } from 'playwright-core';

import type { LaunchedPage, LaunchRequest } from './types';
import { openWorkerPage, pageOps } from './worker-page';

export async function openPlaywrightPage(
  browser: Browser,
  request: LaunchRequest,
  owned: { pid: number | undefined; shutdown: () => Promise<void> },
): Promise<LaunchedPage> {
  let page;
  try {
    page = await browser.newPage();
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
