/**
 * Opens the worker page through any automation library and wraps it as a {@link LaunchedPage}: waits for the page to
 * connect back, turns every way the browser can go away into one exit signal, and exposes the fault injector.
 */
import { BrowserUnavailableError, SessionNotFoundError } from '../../protocol';
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
  /** The local browser process id, when this orchestrator launched it and could learn it (none for remote ones). */
  pid: number | undefined;
  shutdown: () => Promise<void>;
}

/** Patches both ways a page sends frames (its relay's port, its own socket) to flip the last byte of binary ones. */
const CORRUPT_OUTPUTS = `(() => {
  const flip = (data) => { if (data instanceof ArrayBuffer && data.byteLength > 0) { const u = new Uint8Array(data); u[u.length - 1] ^= 0xff; u[u.length - 2] ^= 0xff; } };
  const post = MessagePort.prototype.postMessage;
  MessagePort.prototype.postMessage = function (message, transfer) { if (message && message.kind === 'send') { flip(message.data); } return post.call(this, message, transfer); };
  const send = WebSocket.prototype.send;
  WebSocket.prototype.send = function (data) { flip(data instanceof Uint8Array ? data.buffer : data); return send.call(this, data); };
})()`;

/** Drops every second binary frame the page's main thread sends: the page's own transport, or the relay's port. */
const DROP_RUN_REPLIES = `(() => {
  let frames = 0;
  const dropped = (data) => (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) && frames++ % 2 === 1;
  const post = MessagePort.prototype.postMessage;
  MessagePort.prototype.postMessage = function (message, transfer) { if (message && message.kind === 'send' && dropped(message.data)) { return; } return post.call(this, message, transfer); };
  const send = WebSocket.prototype.send;
  WebSocket.prototype.send = function (data) { if (dropped(data)) { return; } return send.call(this, data); };
})()`;

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
    // Every driver's library reports the browser's end as a disconnect (its pipe or socket to the browser closes).
    page.onGone(exit);
    return {
      browserVersion: owned.browserVersion,
      pid: owned.pid,
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
        corruptOutputs: async () => {
          await page.evaluate(CORRUPT_OUTPUTS);
        },
        dropRunReplies: async () => {
          await page.evaluate(DROP_RUN_REPLIES);
        },
        faultWorker: async (sessionId: string, fault: 'spin' | 'crash') => {
          const hit = await page.evaluate(
            `globalThis.__browserPoolWorkerFaults?.inject(${JSON.stringify(sessionId)}, ${JSON.stringify(fault)}) === true`,
          );
          if (hit !== true) {
            throw new SessionNotFoundError(`no session worker on this page holds "${sessionId}" (is harness.pageWorkers >= 1?)`);
          }
        },
        killBrowser: () => {
          if (owned.pid === undefined) {
            throw new BrowserUnavailableError('this browser runs on another host (or its pid is unknown): its process cannot be signalled from here');
          }
          process.kill(owned.pid, 'SIGKILL');
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
