// UTF-8 codecs exist in both browsers and Node; declared here because this project deliberately has neither the DOM
// lib nor Node's types (the compiler then rejects any other platform API).
declare class TextEncoder {
  encode(input?: string): Uint8Array;
}
declare class TextDecoder {
  constructor(label?: string, options?: { fatal?: boolean });
  decode(input?: Uint8Array): string;
}
