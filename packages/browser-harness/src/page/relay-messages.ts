/**
 * Messages between the worker page and its relay (a SharedWorker holding the bridge socket). Data frames are strings
 * or transferred ArrayBuffers, never copied.
 */
import type { NamedTensor } from '../protocol/framing';

export type ToRelay =
  | { kind: 'open'; url: string }
  | { kind: 'send'; data: string | ArrayBuffer }
  | { kind: 'close' }
  /**
   * A session worker's port (transferred), under a key the page chose: the frames it posts go to the socket like the
   * page's own, and run requests for the sessions routed to `key` go to it.
   */
  | { kind: 'attach'; port: MessagePort; key: number }
  /** The worker behind `key` is gone: its port is closed and its routes dropped. */
  | { kind: 'detach'; key: number }
  /** Runs of `sessionId` go straight to the least busy of these workers; none: through the page's main thread. */
  | { kind: 'route'; sessionId: string; keys: number[] };

/**
 * What a session worker posts on its attached port: one whole reply frame (`routed`: the answer to a
 * {@link RoutedRun}), or `bounced`: a routed run handed to the main thread instead (no frame).
 */
export type RelayFrame = { kind: 'send'; data: string | ArrayBuffer; routed?: boolean } | { kind: 'bounced' };

/**
 * A run request the relay sent straight to a session worker: decoded from its frame, not yet validated (the worker
 * checks it), `arrivedAt` ms since the epoch.
 */
export interface RoutedRun {
  kind: 'run';
  message: unknown;
  tensors: NamedTensor[];
  arrivedAt: number;
}

/** A run the relay sent to the worker behind `key`, told to the page's main thread, which keeps the call's deadline. */
export interface RoutedCall {
  id: number;
  sessionId: string;
  key: number;
  deadlineMs: number | undefined;
  arrivedAt: number;
}

export type FromRelay =
  | { kind: 'open' }
  | { kind: 'message'; data: string | ArrayBuffer }
  | { kind: 'close'; code: number; reason: string }
  | { kind: 'routed'; calls: RoutedCall[] };
