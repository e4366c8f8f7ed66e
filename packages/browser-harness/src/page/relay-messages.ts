/**
 * Messages between the worker page and its relay (a SharedWorker holding the bridge socket). Data frames are strings
 * or transferred ArrayBuffers, never copied.
 */
export type ToRelay = { kind: 'open'; url: string } | { kind: 'send'; data: string | ArrayBuffer } | { kind: 'close' };

export type FromRelay =
  | { kind: 'open' }
  | { kind: 'message'; data: string | ArrayBuffer }
  | { kind: 'close'; code: number; reason: string };
