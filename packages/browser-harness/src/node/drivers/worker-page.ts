/**
 * Opens the worker page through any automation library and wraps it as a {@link LaunchedPage}: waits for the page to
 * connect back, turns every way the browser can go away into one exit signal, and exposes the fault injector.
 */
import type { ChildProcess } from 'node:child_process';

import { BrowserUnavailableError } from '../../protocol';
import type { LaunchedPage, LaunchRequest } from './types';

/** The page operations a driver's library must provide (Playwright and puppeteer pages both do). */
export interface PageOps {
  goto(url: string, timeoutMs: number): Promise<unknown>;
  evaluate(script: string): Promise<unknown>;
  close(): Promise<void>;
  /** Calls back once per way the page or browser can end (crash, close, disconnect). */
  onGone(listener: (reason: string) => void): void;
}

/** The part of a Playwright or puppeteer `Page` the worker page needs. */
export interface LibraryPage {
  goto(url: string, options: { timeout: number }): Promise<unknown>;
  evaluate(script: string): Promise<unknown>;
  close(): Promise<void>;
}

/** Page operations over a library page; `watch` subscribes to that library's own ways of going away. */
export function pageOps(page: LibraryPage, watch: (gone: (reason: string) => void) => void): PageOps {
  return {
    goto: (url, timeout) => page.goto(url, { timeout }),
    evaluate: (script) => page.evaluate(script),
    close: () => page.close(),
    onGone: watch,
  };
}

export interface OwnedBrowser {
  browserVersion: string;
  /** The local process, when this orchestrator launched it (none for remote browsers). */
  process: ChildProcess | undefined;
  shutdown: () => Promise<void>;
}

export async function openWorkerPage(page: PageOps, request: LaunchRequest, owned: OwnedBrowser): Promise<LaunchedPage> {
  try {
    const channelPromise = request.waitForChannel();
    channelPromise.catch(() => undefined); // awaited below; if goto throws first, its rejection must not go unhandled
    await page.goto(request.pageUrl, request.timeoutMs);
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
    page.onGone(exit);
    return {
      browserVersion: owned.browserVersion,
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
