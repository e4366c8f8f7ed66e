/**
 * Chromium through Playwright, with the system binary (Playwright's own browser download cannot work offline).
 * WebGPU needs `--enable-unsafe-webgpu` on Linux; WebNN is exposed (and then probed) with its feature flag.
 */
import { existsSync } from 'node:fs';

import { type Browser, type BrowserServer, chromium } from 'playwright-core';

import { BrowserUnavailableError } from '../../protocol';
import type { BrowserDriver, LaunchedPage, LaunchRequest } from './types';

/** Looked for in order; `BROWSER_POOL_CHROMIUM` overrides. The real binary avoids the Debian wrapper script. */
const CANDIDATES = ['/usr/lib/chromium/chromium', '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

export const CHROMIUM_ARGS = [
  '--enable-unsafe-webgpu',
  // NetworkServiceInProcess2 saves one process hop per WebSocket message (measured: echo RTT p50 1.0 -> 0.7-0.9 ms).
  '--enable-features=WebMachineLearningNeuralNetwork,NetworkServiceInProcess2',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  // A worker page is never visible: keep its timers and rendering at full speed.
  '--disable-background-timer-throttling',
  '--disable-renderer-backgrounding',
  '--disable-backgrounding-occluded-windows',
];

export interface ChromiumDriverOptions {
  /** Browser binary. @default `$BROWSER_POOL_CHROMIUM`, else the first of /usr/lib/chromium/chromium, /usr/bin/chromium, ... */
  executablePath?: string;
  /** Extra command-line flags, appended to {@link CHROMIUM_ARGS}. @default [] */
  extraArgs?: string[];
  /** @default true */
  headless?: boolean;
}

export function findChromium(): string | undefined {
  const fromEnv = process.env.BROWSER_POOL_CHROMIUM;
  if (fromEnv !== undefined && fromEnv !== '') {
    return fromEnv;
  }
  return CANDIDATES.find((p) => existsSync(p));
}

export class ChromiumDriver implements BrowserDriver {
  readonly kind = 'chromium' as const;

  constructor(private readonly options: ChromiumDriverOptions = {}) {}

  async launch(request: LaunchRequest): Promise<LaunchedPage> {
    const executablePath = this.options.executablePath ?? findChromium();
    if (executablePath === undefined || !existsSync(executablePath)) {
      throw new BrowserUnavailableError(
        `Chromium not found (looked at ${executablePath ?? CANDIDATES.join(', ')}); run \`npm run setup\` ` +
          '(installs Debian chromium) or set BROWSER_POOL_CHROMIUM',
        { details: { browser: 'chromium' } },
      );
    }
    // launchServer (not launch) so we hold the real OS process: its exit is the ground truth of a crash, and its pid
    // lets fault tests deliver real signals. The orchestrator then talks to it exactly as to a remote browser.
    let server: BrowserServer;
    let browser: Browser;
    try {
      server = await chromium.launchServer({
        executablePath,
        headless: this.options.headless ?? true,
        args: [...CHROMIUM_ARGS, ...(this.options.extraArgs ?? [])],
        timeout: request.timeoutMs,
      });
      browser = await chromium.connect(server.wsEndpoint(), { timeout: request.timeoutMs });
    } catch (error) {
      throw new BrowserUnavailableError(`Chromium at ${executablePath} failed to launch: ${(error as Error).message}`, {
        cause: error,
        details: { browser: 'chromium', executablePath },
      });
    }
    const shutdown = async (): Promise<void> => {
      await browser.close().catch(() => undefined);
      await server.close().catch(() => undefined);
    };
    try {
      const page = await browser.newPage();
      const channelPromise = request.waitForChannel();
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
      server.process().once('exit', (code, signal) => exit(`browser process exited (${signal ?? `code ${code}`})`));
      browser.on('disconnected', () => exit('browser disconnected'));
      page.on('crash', () => exit('page crashed'));
      page.on('close', () => exit('page closed'));
      return {
        browserVersion: browser.version(),
        pid: server.process().pid,
        channel,
        onExit: (listener) => exitListeners.push(listener),
        faults: {
          closePage: () => page.close(),
          freezePage: async () => {
            await page.evaluate('setTimeout(() => { for (;;) {} }, 0)');
          },
          killBrowser: () => {
            server.process().kill('SIGKILL');
          },
        },
        close: async () => {
          channel.close();
          await shutdown();
        },
      };
    } catch (error) {
      await shutdown();
      throw error;
    }
  }
}
