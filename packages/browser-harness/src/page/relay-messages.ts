/**
 * Messages between the worker page and its relay (a SharedWorker holding the bridge socket). Data frames are strings
 * or transferred ArrayBuffers, never copied.
 */
export type ToRelay =
  | { kind: 'open'; url: string }
  | { kind: 'send'; data: string | ArrayBuffer }
  | { kind: 'close' }
  /** A session worker's port (transferred): the frames it posts go to the socket like the page's own. */
  | { kind: 'attach'; port: MessagePort };

/** What a session worker posts on its attached port: one whole reply frame. */
export interface RelayFrame {
  kind: 'send';
  data: string | ArrayBuffer;
}

export type FromRelay =
  | { kind: 'open' }
  | { kind: 'message'; data: string | ArrayBuffer }
  | { kind: 'close'; code: number; reason: string };
