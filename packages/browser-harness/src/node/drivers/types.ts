import type { RpcChannel } from '../rpc-channel';

/** Browsers the harness can drive. */
export const BROWSER_KINDS = ['chromium', 'firefox', 'edge'] as const;
export type BrowserKind = (typeof BROWSER_KINDS)[number];

/** What a driver needs to open a worker page that connects back. */
export interface LaunchRequest {
  connectionId: string;
  /** Full URL of the worker page, including `bridge` and `conn` parameters. */
  pageUrl: string;
  /** Resolves with the page's channel once it says hello. */
  waitForChannel: () => Promise<RpcChannel>;
  /** Launch-to-hello deadline. */
  timeoutMs: number;
}

/** Real faults a test or a chaos drill can cause on purpose. */
export interface FaultInjector {
  /** Closes the worker page; the browser keeps running. */
  closePage(): Promise<void>;
  /**
   * Schedules an endless busy loop on the page's main thread, to start as soon as the current task ends: the page
   * hangs but its socket stays open. Resolves once it is scheduled.
   */
  freezePage(): Promise<void>;
  /** Keeps the page's main thread busy for `ms` (a stall, not a hang): calls time out, then the page recovers. */
  stallPage(ms: number): Promise<void>;
  /** SIGKILLs the browser process. */
  killBrowser(): void;
  /**
   * Makes the page lie: from now on it flips the last byte of every binary frame it sends (the tail of its last
   * output tensor), so it answers on time but wrong, as a faulty GPU driver or a tampered page would.
   */
  corruptOutputs(): Promise<void>;
  /**
   * Makes the page lose answers: from now on it drops every second binary frame it sends (run replies with their
   * output tensors) from its main thread, while its other replies and heartbeats still go, as a page with a bug that
   * loses messages would. Session workers (harness.pageWorkers >= 1) answer past the main thread and are not affected.
   */
  dropRunReplies(): Promise<void>;
  /**
   * Pages with session workers (harness.pageWorkers >= 1): makes the worker holding `sessionId` spin in an endless
   * loop ('spin', a stuck model) or throw an uncaught error ('crash'). Throws if no worker holds that session.
   */
  faultWorker(sessionId: string, fault: 'spin' | 'crash'): Promise<void>;
}

/** A browser process with one worker page connected back over the bridge. */
export interface LaunchedPage {
  readonly browserVersion: string;
  /** OS process id of the browser, where the driver knows it (used by fault tests and recovery). */
  readonly pid: number | undefined;
  readonly channel: RpcChannel;
  /** Called once when the browser process exits or the page crashes, with a description. */
  onExit(listener: (reason: string) => void): void;
  readonly faults: FaultInjector;
  close(): Promise<void>;
}

/** Launches one kind of browser. Implementations: Playwright Chromium here; Firefox, Edge, remote later. */
export interface BrowserDriver {
  readonly kind: BrowserKind;
  launch(request: LaunchRequest): Promise<LaunchedPage>;
}
