/**
 * Chromium and Edge through Playwright, with system binaries (Playwright's own browser download cannot work
 * offline). WebGPU needs `--enable-unsafe-webgpu` on Linux; WebNN is exposed (and then probed) with its feature flag.
 */
import { existsSync } from 'node:fs';

import { type Browser, chromium } from 'playwright-core';

import { BrowserUnavailableError } from '../../protocol';
import { childPidWithArgument } from './child-pid';
import { openPlaywrightPage } from './playwright-page';
import type { BrowserDriver, BrowserKind, LaunchedPage, LaunchRequest } from './types';

/** Looked for in order; `BROWSER_POOL_CHROMIUM` overrides. The real binary avoids the Debian wrapper script. */
const CHROMIUM_CANDIDATES = ['/usr/lib/chromium/chromium', '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];
/** Where Playwright's `msedge` channel expects Edge on Linux; `BROWSER_POOL_EDGE` overrides. */
export const EDGE_PATH = '/opt/microsoft/msedge/msedge';

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

/**
 * V8 flags for browsers that hold worker pages (not the dashboard's). `--no-wasm-inlining`: the session workers of a
 * page share one compiled ORT module (page/worker/ort.ts), and V8's speculative wasm inlining tiers it up from each
 * worker's call feedback; two workers running different models (bert + vit) fed conflicting targets and V8 recompiled
 * the module's hot functions without end (Chrome trace after 20 s of load: 5.8 s of TurboFan compile per 5 s, each run
 * 38 ms instead of 6; with the flag 0.3 s, and both workers ran 2.3x the calls). A one-thread page computed the same
 * with and without it (bert-small 5.9 ms both). A `--js-flags` in `extraArgs` replaces this one (the last one counts).
 */
export const WORKER_PAGE_ARGS = ['--js-flags=--no-wasm-inlining'];

export interface ChromiumDriverOptions {
  /** Browser binary. @default `$BROWSER_POOL_CHROMIUM`, else the first of /usr/lib/chromium/chromium, /usr/bin/chromium, ... */
  executablePath?: string;
  /** Extra command-line flags, appended to {@link CHROMIUM_ARGS}. @default [] */
  extraArgs?: string[];
  /** @default true */
  headless?: boolean;
}

function fromEnv(name: string): string | undefined {
  const value = process.env[name];
  return value === undefined || value === '' ? undefined : value;
}

export function findChromium(): string | undefined {
  return fromEnv('BROWSER_POOL_CHROMIUM') ?? CHROMIUM_CANDIDATES.find((p) => existsSync(p));
}

/** A Chromium-family browser launched locally with Playwright's launchServer. */
abstract class LocalChromiumFamily implements BrowserDriver {
  abstract readonly kind: BrowserKind;

  constructor(protected readonly options: ChromiumDriverOptions = {}) {}

  /** The binary to run, or the reason it is missing. */
  protected abstract resolve(): { path: string } | { missing: string };

  async launch(request: LaunchRequest): Promise<LaunchedPage> {
    const found = this.resolve();
    if ('missing' in found) {
      throw new BrowserUnavailableError(found.missing, { details: { browser: this.kind } });
    }
    // launch() talks to the browser over a pipe: the browser listens on no port, so no other local process can
    // drive it or read its page URLs (which carry the harness secret). launchServer would add a WebSocket server
    // that any local process can find and use. The pid (for recovery and fault drills) comes from /proc.
    const marker = `--browser-pool-connection=${request.connectionId}`;
    let browser: Browser;
    try {
      browser = await chromium.launch({
        executablePath: found.path,
        headless: this.options.headless ?? true,
        args: [...CHROMIUM_ARGS, ...WORKER_PAGE_ARGS, ...(this.options.extraArgs ?? []), marker],
        timeout: request.timeoutMs,
        // Ctrl-C belongs to the application (a sweep finishes its group first); Playwright's handler would kill the
        // browser and exit. A terminal's Ctrl-C still reaches the browser through the process group.
        handleSIGINT: false,
      });
    } catch (error) {
      throw new BrowserUnavailableError(`${this.kind} at ${found.path} failed to launch: ${(error as Error).message}`, {
        cause: error,
        details: { browser: this.kind, executablePath: found.path },
      });
    }
    return openPlaywrightPage(browser, request, {
      pid: childPidWithArgument(marker),
      shutdown: async () => {
        await browser.close().catch(() => undefined);
      },
    });
  }
}

export class ChromiumDriver extends LocalChromiumFamily {
  readonly kind = 'chromium' as const;

  protected resolve(): { path: string } | { missing: string } {
    const path = this.options.executablePath ?? findChromium();
    if (path !== undefined && existsSync(path)) {
      return { path };
    }
    return {
      missing:
        `Chromium not found (looked at ${path ?? CHROMIUM_CANDIDATES.join(', ')}); run \`npm run setup\` ` +
        '(installs Debian chromium) or set BROWSER_POOL_CHROMIUM',
    };
  }
}

/** Microsoft Edge (Playwright's `msedge` channel location). Not installable on this project's Debian machines. */
export class EdgeDriver extends LocalChromiumFamily {
  readonly kind = 'edge' as const;

  protected resolve(): { path: string } | { missing: string } {
    const path = this.options.executablePath ?? fromEnv('BROWSER_POOL_EDGE') ?? EDGE_PATH;
    if (existsSync(path)) {
      return { path };
    }
    return {
      missing:
        `Microsoft Edge is not installed (expected ${path}, where Playwright's msedge channel looks); ` +
        'install Edge or set BROWSER_POOL_EDGE. Models that prefer Edge fall back to the next browser.',
    };
  }
}
