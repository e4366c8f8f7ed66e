/** The emscripten glue and WASM binary that `ort.min.mjs` (the JSEP build: WASM, WebGPU, WebNN) loads from /ort/. */
export const ORT_GLUE_FILE = 'ort-wasm-simd-threaded.jsep.mjs';
export const ORT_WASM_FILE = 'ort-wasm-simd-threaded.jsep.wasm';
