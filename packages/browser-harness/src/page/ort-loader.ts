/**
 * Loads onnxruntime-web from the page server (never a CDN) and configures where it finds its wasm files.
 * The module is imported at run time from `/ort/` so the page build does not bundle or re-hash ORT's own files.
 */
import type * as Ort from 'onnxruntime-web';

import { ORT_WASM_FILE } from './ort-files';

export type OrtModule = typeof Ort;

/** Beside the page's own directory, under the same secret prefix (`/<secret>/ort/`). */
export const ORT_BASE = new URL('../ort/', location.href).href;

let loading: Promise<OrtModule> | undefined;

export function loadOrt(): Promise<OrtModule> {
  loading ??= (async () => {
    const url = `${ORT_BASE}ort.min.mjs`;
    const ort = (await import(/* @vite-ignore */ url)) as OrtModule;
    ort.env.wasm.wasmPaths = ORT_BASE;
    ort.env.logLevel = 'error';
    // Set explicitly (ORT's own default, or the page URL's `threads`) so the probe reports the real value.
    const requested = Number(new URL(location.href).searchParams.get('threads') ?? NaN);
    const byDefault = Math.min(4, Math.ceil(navigator.hardwareConcurrency / 2));
    ort.env.wasm.numThreads = crossOriginIsolated ? (Number.isInteger(requested) && requested > 0 ? requested : byDefault) : 1;
    return ort;
  })();
  return loading;
}

/**
 * Compiles ORT's WASM once for the page's session workers (a compiled module is shared, not copied, when posted to a
 * worker: every worker, the spare and each respawn instantiate it at once). Undefined when the browser cannot
 * (each worker then compiles its own, as ORT does by itself).
 */
export async function compileOrtWasm(): Promise<WebAssembly.Module | undefined> {
  try {
    return await WebAssembly.compileStreaming(fetch(`${ORT_BASE}${ORT_WASM_FILE}`, { credentials: 'same-origin' }));
  } catch {
    return undefined;
  }
}
