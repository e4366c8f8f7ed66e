/**
 * Messages between the worker page and its relay (a SharedWorker holding the bridge socket). Data frames are strings
 * or transferred ArrayBuffers, never copied.
 */
export type ToRelay =
  | { kind: 'open'; url: string }
  | { kind: 'send'; data: string | ArrayBuffer }
  | { kind: 'close' }
  /** A session worker's port (transferred), under a key the page chose: the frames it posts go to the socket. */
  | { kind: 'attach'; port: MessagePort; key: number }
  /** The worker behind `key` was terminated: its port is closed (else each respawn would leave one behind). */
  | { kind: 'detach'; key: number };

/** What a session worker posts on its attached port: one whole reply frame. */
export interface RelayFrame {
  kind: 'send';
  data: string | ArrayBuffer;
}

export type FromRelay =
  | { kind: 'open' }
  | { kind: 'message'; data: string | ArrayBuffer }
  | { kind: 'close'; code: number; reason: string };
