/**
 * Bad input through the pool in real Chromium: each case fails with a typed error and a message that says what is
 * wrong, and the same connection still runs a correct inference afterwards. User models load from a file path, an
 * http URL (a separate local server) and bytes in memory.
 */
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

import { ErrorCode, type TensorMap } from '@browser-pool/browser-harness';
import { ModelCatalogue, runReference, userModel } from '@browser-pool/models';
import { type ModelHandle, ResourcePool } from '@browser-pool/pool';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { FP32_TOLERANCE, worstDiff } from './helpers';

const catalogue = ModelCatalogue.default();
const vit = catalogue.get('vit-tiny');
let pool: ResourcePool;
let model: ModelHandle;
let modelServer: http.Server;
let modelServerUrl: string;
let vitPath: string;

beforeAll(async () => {
  const source = await vit.source();
  if (source.kind !== 'file') {throw new Error('vit-tiny is generated to a file');}
  vitPath = source.path;
  const vitBytes = await readFile(vitPath);
  // A plain HTTP server apart from the page server: the pool downloads URL models itself.
  modelServer = http.createServer((req, res) => {
    if (req.url === '/models/vit.onnx') {res.writeHead(200, { 'Content-Type': 'application/octet-stream' }).end(vitBytes);}
    else {res.writeHead(404).end('no such model');}
  });
  await new Promise<void>((r) => modelServer.listen(0, '127.0.0.1', r));
  modelServerUrl = `http://127.0.0.1:${(modelServer.address() as AddressInfo).port}`;

  catalogue
    .add(userModel({ name: 'corrupt', modelType: 'vision', source: { kind: 'bytes', bytes: new Uint8Array(4096).fill(7) } }))
    .add(userModel({ name: 'missing-file', modelType: 'vision', source: { kind: 'file', path: '/nonexistent/model.onnx' } }))
    .add(userModel({ name: 'url-404', modelType: 'vision', source: { kind: 'url', url: `${modelServerUrl}/models/nope.onnx` } }))
    .add(userModel({ name: 'vit-by-url', modelType: 'vision', source: { kind: 'url', url: `${modelServerUrl}/models/vit.onnx` } }))
    .add(userModel({ name: 'vit-by-file', modelType: 'vision', source: { kind: 'file', path: vitPath } }))
    .add(userModel({ name: 'vit-by-bytes', modelType: 'vision', source: { kind: 'bytes', bytes: new Uint8Array(vitBytes) } }));
  pool = new ResourcePool({ catalogue });
  model = await pool.getModel('vision', 'vit-tiny', { backends: ['wasm'] });
});
afterAll(async () => {
  await pool.close();
  await new Promise((r) => modelServer.close(r));
});

async function expectStillCorrect(): Promise<void> {
  const inputs = vit.sampleInputs({ seed: 42 });
  const result = await model.run(inputs);
  expect(worstDiff(result.outputs, await runReference(await vit.source(), inputs))).toBeLessThanOrEqual(FP32_TOLERANCE);
}

const good = (): TensorMap => vit.sampleInputs();

describe('bad input gets a typed error and the connection keeps working', () => {
  it.each([
    ['unknown model', () => pool.getModel('vision', 'no-such-model'), ErrorCode.ModelNotFound, /unknown model "no-such-model"; known models: .*vit-tiny/],
    ['model of another type', () => pool.getModel('audio', 'vit-tiny'), ErrorCode.InvalidInput, /is a vision model, not audio/],
    ['corrupt model bytes', () => pool.getModel('vision', 'corrupt', { backends: ['wasm'] }), ErrorCode.ModelLoad, /could not be loaded on wasm/],
    ['missing model file', () => pool.getModel('vision', 'missing-file'), ErrorCode.ModelNotFound, /no model file at \/nonexistent\/model.onnx: it does not exist/],
    ['model URL answering 404', () => pool.getModel('vision', 'url-404'), ErrorCode.ModelNotFound, /no model at http:\/\/127.0.0.1:\d+\/models\/nope.onnx: HTTP 404/],
    ['unknown backend name', () => pool.getModel('vision', 'vit-tiny', { backends: ['cuda' as never] }), ErrorCode.InvalidOptions, /backends must be a non-empty array of "webgpu" \| "webnn" \| "wasm", got \["cuda"\]/],
    // Before, these were a bare TypeError and (the page's schema refusing the options) E_NO_CONNECTION.
    ['getModel options null', () => pool.getModel('vision', 'vit-tiny', null as never), ErrorCode.InvalidOptions, /getModel\("vit-tiny"\): options must be an object .* got null/],
    ['session options the page refuses', () => pool.getModel('vision', 'vit-tiny', { sessionOptions: { executionProviders: ['cuda'] } as never }), ErrorCode.InvalidOptions, /sessionOptions are not valid \(.*Unrecognized key.*executionProviders.*\); they take graphOptimizationLevel/],
    ['a bogus graphOptimizationLevel', () => pool.getModel('vision', 'vit-tiny', { sessionOptions: { graphOptimizationLevel: 'bogus' as never } }), ErrorCode.InvalidOptions, /graphOptimizationLevel: /],
    ['missing input', () => model.run({}), ErrorCode.InvalidInput, /takes inputs \[pixel_values\]; missing: pixel_values/],
    ['extra input', () => model.run({ ...good(), mask: good().pixel_values! }), ErrorCode.InvalidInput, /unknown: mask/],
    ['wrong dtype', () => model.run({ pixel_values: { dtype: 'int32', dims: [1, 3, 16, 16], data: new Int32Array(768) } }), ErrorCode.InvalidInput, /must be float32, got int32/],
    ['wrong shape', () => model.run({ pixel_values: { dtype: 'float32', dims: [1, 3, 8, 32], data: new Float32Array(768) } }), ErrorCode.InvalidInput, /must have shape \[batch, 3, 16, 16\], got \[1, 3, 8, 32\]/],
    ['data shorter than dims', () => model.run({ pixel_values: { dtype: 'float32', dims: [1, 3, 16, 16], data: new Float32Array(10) } }), ErrorCode.InvalidInput, /hold 768 elements but data has 10/],
    ['string tensor', () => model.run({ pixel_values: { dtype: 'string', dims: [1], data: ['x'] } as never }), ErrorCode.UnsupportedDtype, /dtype "string" is not supported/],
    ['unknown output name', () => model.run(good(), { outputNames: ['nope'] }), ErrorCode.InvalidInput, /outputNames names "nope", which the model does not output; its outputs are logits/],
    ['backend unavailable here (WebNN)', () => pool.getModel('vision', 'vit-tiny', { backends: ['webnn'] }), ErrorCode.BackendUnavailable, /webnn \(cpu\) is unavailable in this browser: NotSupportedError/],
  ] as const)('%s', async (_name, act, code, message) => {
    await expect(act()).rejects.toMatchObject({ code, message: expect.stringMatching(message) });
    await expectStillCorrect();
  });
});

describe('fallback and model sources', () => {
  it('falls back from WebNN to wasm and records why on the handle', async () => {
    const m = await pool.getModel('vision', 'vit-tiny', { backends: ['webnn', 'wasm'] });
    expect(m.placement.requestedBackends).toEqual(['webnn', 'wasm']);
    expect(m.placement.backend).toBe('wasm');
    expect(m.placement.fallbacks).toEqual([
      { backend: 'webnn', code: ErrorCode.BackendUnavailable, reason: expect.stringContaining('WebNN is not supported on this platform') },
    ]);
    await m.release();
  });

  it.each(['vit-by-url', 'vit-by-file', 'vit-by-bytes'])('runs a user model from %s and matches the reference', async (name) => {
    const m = await pool.getModel('vision', name, { backends: ['wasm'] });
    const inputs = vit.sampleInputs({ seed: 7, batch: 2 });
    const result = await m.run(inputs);
    expect(worstDiff(result.outputs, await runReference({ kind: 'file', path: vitPath }, inputs))).toBeLessThanOrEqual(FP32_TOLERANCE);
    await m.release();
  });

  it('loads over the socket (inline) as well as by URL', async () => {
    const m = await pool.getModel('vision', 'vit-tiny', { backends: ['wasm'], inline: true });
    const result = await m.run(good());
    expect(result.outputs.logits?.dims).toEqual([1, 10]);
    await m.release();
  });

  it('a released handle refuses to run with E_CLOSED', async () => {
    const m = await pool.getModel('vision', 'vit-tiny', { backends: ['wasm'] });
    await m.release();
    await expect(m.run(good())).rejects.toMatchObject({ code: ErrorCode.Closed, message: expect.stringMatching(/was released/) });
  });
});
