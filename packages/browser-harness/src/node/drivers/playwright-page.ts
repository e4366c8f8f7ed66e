/** Opens the worker page in a Playwright browser (local or remote) and wraps it as a {@link LaunchedPage}. */
import type { ChildProcess } from 'node:child_process';

import type { Browser } from 'playwright-core';

import { BrowserUnavailableError } from '../../protocol';
import type { LaunchedPage, LaunchRequest } from './types';

export async function openPlaywrightPage(
  browser: Browser,
  request: LaunchRequest,
  owned: { process: ChildProcess | undefined; shutdown: () => Promise<void> },
): Promise<LaunchedPage> {
  try {
    const page = await browser.newPage();
    const channelPromise = request.waitForChannel();
    channelPromise.catch(() => undefined); // awaited below; if goto throws first, its rejection must not go unhandled
    await page.goto(request.pageUrl, { timeout: request.timeoutMs });
    const channel = await channelPromise;
    const exitListeners: ((reason: string) => void)[] = [];
    let exited = false;
    const exit = (reason: string): void => {
      if (!exited) {
        exited = true;
        exitListeners.forEach((l) => l(reason));
      }
    };
    owned.process?.once('exit', (code, signal) => exit(`browser process exited (${signal ?? `code ${code}`})`));
    browser.on('disconnected', () => exit('browser disconnected'));
    page.on('crash', () => exit('page crashed'));
    page.on('close', () => exit('page closed'));
    return {
      browserVersion: browser.version(),
      pid: owned.process?.pid,
      channel,
      onExit: (listener) => exitListeners.push(listener),
      faults: {
        closePage: () => page.close(),
        stallPage: async (ms: number) => {
          await page.evaluate(`setTimeout(() => { const end = performance.now() + ${ms}; while (performance.now() < end) {} }, 0)`);
        },
        freezePage: async () => {
          await page.evaluate('setTimeout(() => { for (;;) {} }, 0)');
        },
        killBrowser: () => {
          if (owned.process === undefined) {
            throw new BrowserUnavailableError('this browser runs on another host: its process cannot be signalled from here');
          }
          owned.process.kill('SIGKILL');
        },
      },
      close: async () => {
        channel.close();
        await owned.shutdown();
      },
    };
  } catch (error) {
    await owned.shutdown();
    throw error;
  }
}
