/**
 * The pool's boundary in real Chromium, as careless and hostile callers meet it: bad inputs interleaved with good
 * ones (request errors never open breakers), invalid calls and admission-slot accounting, onnxruntime Tensor
 * objects, your own model by path, failed requests that say where they ran, a page that hangs inside a load, a
 * tensor at the size limit and one past it, and a page that answers wrong (quarantined at once).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { type BrowserPoolError, ErrorCode, type TensorMap } from '@browser-pool/browser-harness';
import { ModelCatalogue, runReference } from '@browser-pool/models';
import { eligible, type PoolOptions, ResourcePool, type RoutingPolicy } from '@browser-pool/pool';
import { Tensor as OrtTensor } from 'onnxruntime-node';
import { afterEach, describe, expect, it } from 'vitest';

import { collect, FP32_TOLERANCE, worstDiff } from './helpers';

const catalogue = ModelCatalogue.default();
const bert = catalogue.get('bert-tiny');
const vit = catalogue.get('vit-tiny');
let pool: ResourcePool | undefined;
afterEach(async () => {
  await pool?.close();
  pool = undefined;
});

async function start(options: PoolOptions = {}): Promise<ResourcePool> {
  pool = new ResourcePool({ catalogue, browsers: ['chromium', 'chromium'], backends: ['wasm'], health: { knownAnswerIntervalMs: 0 }, ...options });
  await pool.initialize();
  return pool;
}


/** bert-tiny inputs whose token ids are outside its vocabulary: a value error raised by onnxruntime's Gather. */
function outOfVocabulary(): TensorMap {
  const good = bert.sampleInputs();
  const ids = good.input_ids!;
  return { input_ids: { dtype: 'int64', dims: ids.dims, data: new BigInt64Array(ids.data.length).fill(999_999n) } };
}

describe('request errors go back once and never count against a connection', () => {
  it('hostile run options get E_INVALID_INPUT naming the option; none reaches a page, and the breaker stays closed', async () => {
    const p = await start({ browsers: ['chromium'] });
    const model = await p.getModel('vision', 'vit-tiny');
    const inputs = vit.sampleInputs();
    // Before, a timeoutMs of NaN, Infinity or "5000" reached the page as a call that "did not answer within NaN ms":
    // three of them opened the only connection's breaker, and every later request failed with E_NO_CONNECTION.
    const cases: [unknown, RegExp][] = [
      [{ timeoutMs: Number.NaN }, /timeoutMs must be a number of milliseconds from 1 to 2147483647, got NaN/],
      [{ timeoutMs: Infinity }, /timeoutMs .* got Infinity/],
      [{ timeoutMs: '5000' }, /timeoutMs .* got the string "5000"/],
      [{ timeoutMs: 0 }, /timeoutMs .* got 0/],
      [{ timeoutMs: 1e15 }, /timeoutMs .* got 1000000000000000/],
      [{ priority: Number.NaN }, /priority must be a finite number/],
      [{ signal: {} }, /signal must be an AbortSignal .* got an object/],
      [{ outputNames: ['nope'] }, /outputNames names "nope", which the model does not output; its outputs are logits/],
      [{ keep: 'logits' }, /keep must be an array of output names, got the string "logits"/],
      [{ copyHandles: 'yes' }, /copyHandles must be true or false/],
      [null, /run options must be an object such as \{ timeoutMs: 5000 \}, got null/],
    ];
    for (const [options, message] of cases) {
      await expect(model.run(inputs, options as never), JSON.stringify(options)).rejects.toMatchObject({ code: ErrorCode.InvalidInput, message: expect.stringMatching(message) });
    }
    const states = p.stats().connections.map((c) => [c.breaker, c.failed]);
    expect(states).toEqual([['closed', 0]]);
    const after = await model.run(inputs, { timeoutMs: 20_000, outputNames: ['logits'] });
    expect(worstDiff(after.outputs, await runReference(await vit.source(), inputs))).toBeLessThanOrEqual(FP32_TOLERANCE);
  });

  it('200 good and 200 bad requests interleaved on 2 connections: all good succeed, each bad fails once, no breaker opens', async () => {
    // maxConnections 2: this is about breakers and retries, so the autoscaler must not add connections under the load.
    const p = await start({ breaker: { volumeThreshold: 5, errorThresholdPercentage: 20 }, scaling: { maxConnections: 2 } });
    const model = await p.getModel('text_embedding', 'bert-tiny');
    const inputs = bert.sampleInputs({ seed: 3 });
    const expected = await runReference(await bert.source(), inputs);
    const breakers = collect(p, 'breaker:state');
    const downs = collect(p, 'connection:down');
    const retries = collect(p, 'inference:retry');
    const before = p.connections.map((c) => c.id).sort();
    const calls = Array.from({ length: 400 }, (_, i) => (i % 2 === 0 ? model.run(inputs) : model.run(outOfVocabulary())));
    const settled = await Promise.allSettled(calls);
    settled.forEach((s, i) => {
      if (i % 2 === 0) {
        expect(s.status).toBe('fulfilled');
        if (s.status === 'fulfilled') {
          expect(worstDiff(s.value.outputs, expected)).toBeLessThanOrEqual(FP32_TOLERANCE);
        }
      } else {
        expect(s.status).toBe('rejected');
        if (s.status === 'rejected') {
          expect(s.reason).toMatchObject({ code: ErrorCode.InvalidInput, message: expect.stringMatching(/rejected these inputs: .*out of data bounds/) });
          expect((s.reason as BrowserPoolError).details).toMatchObject({ attempts: 1, browser: 'chromium', connectionId: expect.stringMatching(/^chromium-/) });
        }
      }
    });
    expect(breakers.filter((b) => b.state === 'open')).toEqual([]);
    expect(retries).toEqual([]);
    expect(downs).toEqual([]);
    expect(p.connections.map((c) => c.id).sort()).toEqual(before);
    expect(p.stats().connections.every((c) => c.breaker === 'closed' && c.failed === 0)).toBe(true);
  });
});

describe('the run() boundary', () => {
  it('invalid calls get E_INVALID_INPUT naming the input; 1,000 of them leak no admission slot', async () => {
    const p = await start({ browsers: ['chromium'], maxQueuedRequests: 256 });
    const model = await p.getModel('text_embedding', 'bert-tiny');
    const ids = bert.sampleInputs().input_ids!;
    const cases: [string, unknown, RegExp][] = [
      ['null', null, /takes an object of named tensors.*got null; this model takes \[input_ids\]/],
      ['undefined', undefined, /got undefined/],
      ['an array', [ids], /got a plain array of 1/],
      ['an empty object', {}, /takes inputs \[input_ids\]; missing: input_ids/],
      ['a misspelt input', { input_id: ids }, /missing: input_ids; unknown: input_id/],
      ['a plain array as a tensor', { input_ids: [1, 2, 3] }, /input "input_ids" must be a tensor .* got a plain array of 3; wrap plain arrays/],
      ['a tensor without dims', { input_ids: { dtype: 'int64', data: ids.data } }, /input "input_ids" is missing dims/],
      ['dims that do not match the data', { input_ids: { dtype: 'int64', dims: [1, 8], data: ids.data } }, /input "input_ids": dims \[1,8\] hold 8 elements but data has 16/],
      ['a number', { input_ids: 5 }, /input "input_ids" must be a tensor .* got number 5/],
    ];
    for (const [label, input, message] of cases) {
      await expect(model.run(input as TensorMap), label).rejects.toMatchObject({ code: ErrorCode.InvalidInput, message: expect.stringMatching(message) });
    }
    for (let i = 0; i < 1000; i++) {
      await expect(model.run(null as never)).rejects.toMatchObject({ code: ErrorCode.InvalidInput });
    }
    expect(p.stats().queueDepth).toBe(0);
    // Every slot is still there: exactly maxQueuedRequests are admitted at once, one more is refused.
    const inputs = bert.sampleInputs();
    const admitted = Array.from({ length: 256 }, () => model.run(inputs));
    await expect(model.run(inputs)).rejects.toMatchObject({ code: ErrorCode.QueueFull });
    expect((await Promise.allSettled(admitted)).every((s) => s.status === 'fulfilled')).toBe(true);
    expect(p.stats().queueDepth).toBe(0);
  });

  it('accepts onnxruntime Tensor objects, as onnxruntime-web users pass them', async () => {
    const p = await start({ browsers: ['chromium'] });
    const model = await p.getModel('vision', 'vit-tiny');
    const inputs = vit.sampleInputs({ seed: 9 });
    const pv = inputs.pixel_values!;
    const result = await model.run({ pixel_values: new OrtTensor('float32', pv.data as Float32Array, [...pv.dims]) });
    expect(worstDiff(result.outputs, await runReference(await vit.source(), inputs))).toBeLessThanOrEqual(FP32_TOLERANCE);
  });

  it('your own model by path: a custom type placed on Chromium; directories, missing and non-ONNX files say what is wrong', async () => {
    const p = await start({ browsers: ['chromium'] });
    const source = await vit.source();
    const file = source.kind === 'file' ? source.path : '';
    const mine = await p.getModel({ path: file });
    expect(mine.modelType).toBe('custom');
    expect(mine.name).toBe(path.basename(file, '.onnx'));
    expect(mine.placement.browser).toBe('chromium');
    expect(mine.placement.browserFallbackReason).toBeUndefined();
    const inputs = vit.sampleInputs({ seed: 4 });
    expect(worstDiff((await mine.run(inputs)).outputs, await runReference(source, inputs))).toBeLessThanOrEqual(FP32_TOLERANCE);
    const dir = mkdtempSync(path.join(tmpdir(), 'bp-model-'));
    const text = path.join(dir, 'notes.onnx');
    writeFileSync(text, 'this is not an ONNX model\n');
    await expect(p.getModel({ path: dir })).rejects.toMatchObject({ code: ErrorCode.ModelLoad, message: expect.stringMatching(/is a directory, not an .onnx file/) });
    await expect(p.getModel({ path: path.join(dir, 'nope.onnx') })).rejects.toMatchObject({ code: ErrorCode.ModelNotFound, message: expect.stringContaining(path.join(dir, 'nope.onnx')) });
    await expect(p.getModel({ path: text })).rejects.toMatchObject({ code: ErrorCode.ModelLoad, message: expect.stringContaining(text) });
    await expect(p.getModel({ path: file, url: 'http://x' })).rejects.toMatchObject({ code: ErrorCode.InvalidInput, message: expect.stringMatching(/exactly one of path, url or bytes/) });
    // An audio model prefers Firefox, which this pool never opened: no fallback story about it.
    const audio = await p.getModel('audio', 'audio-encoder-tiny');
    expect(audio.placement.browserFallbackReason).toBeUndefined();
    const stats = p.stats();
    expect(stats.bridge).toMatch(/^ws:\/\/127\.0\.0\.1:\d+$/);
    expect(stats.connections.every((c) => (c.pid ?? 0) > 0)).toBe(true);
  });
});

describe('a page that hangs inside a load', () => {
  it('the load times out, the page is replaced, and requests waiting on it finish elsewhere within their deadline', async () => {
    let target: string | undefined;
    // Sends everything to `target` while it can take work: the hung page gets the requests (and so the load).
    const routing: RoutingPolicy = {
      choose: (candidates, request) => {
        const c = candidates.find((x) => x.id === target && eligible(x, request)) ?? candidates.find((x) => eligible(x, request));
        return c === undefined ? undefined : { connection: c, preferredBrowser: undefined, fallbackReason: undefined };
      },
    };
    // 10 s: well above a healthy first load on a busy 2-core machine (wasm compile ~1 s), far below the default 120 s.
    const p = await start({ routing, loadTimeoutMs: 10_000, runTimeoutMs: 30_000, scaling: { maxConnections: 2 } });
    const [hung, healthy] = p.connections;
    target = healthy!.id;
    const model = await p.getModel('vision', 'vit-tiny'); // loaded on the healthy page only
    const inputs = vit.sampleInputs({ seed: 2 });
    const expected = await runReference(await vit.source(), inputs);
    const downs = collect(p, 'connection:down');
    target = hung!.id;
    await hung!.connection.faults.freezePage();
    const started = Date.now();
    const short = model.run(inputs, { timeoutMs: 1000 }).catch((e: unknown) => ({ error: e, at: Date.now() - started }));
    const results = await Promise.all(Array.from({ length: 20 }, () => model.run(inputs)));
    const elapsed = Date.now() - started;
    for (const r of results) {
      expect(r.connectionId).not.toBe(hung!.id);
      expect(worstDiff(r.outputs, expected)).toBeLessThanOrEqual(FP32_TOLERANCE);
    }
    // The calls in the hung page's slots were retried; the rest waited in the pool's line (late binding) and went
    // to the healthy page once the hung one was gone.
    expect(results.filter((r) => r.attempts >= 2).length).toBeGreaterThanOrEqual(1);
    expect(elapsed).toBeLessThan(10_000 + 8000);
    expect(downs.find((d) => d.connectionId === hung!.id)).toMatchObject({ code: ErrorCode.ConnectionLost, reason: expect.stringMatching(/loadTimeoutMs \(10000 ms\).*hung/) });
    // A request whose own deadline (1 s) is shorter than the load timeout ends at its deadline, not the load's.
    const s = (await short) as { error: { code: string }; at: number };
    expect(s.error.code).toBe(ErrorCode.Timeout);
    expect(s.at).toBeLessThan(1000 + 1000);
    await expect.poll(() => p.connections.length, { timeout: 15_000 }).toBe(2); // replaced
  });
});

describe('tensors at and past maxTensorBytes', () => {
  it('a 64 MiB tensor at the limit round-trips; one element more fails before sending with E_TENSOR_TOO_LARGE', async () => {
    const limit = 64 * 1024 * 1024;
    const p = await start({ browsers: ['chromium'], harness: { maxTensorBytes: limit }, runTimeoutMs: 120_000 });
    const identity = await p.getModel('vision', 'identity');
    const n = limit / 4;
    const data = new Float32Array(n);
    for (let i = 0; i < n; i += 4096) {
      data[i] = i;
    }
    data[n - 1] = 42.5;
    const rssBefore = process.memoryUsage().rss;
    let peak = rssBefore;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
    const result = await identity.run({ x: { dtype: 'float32', dims: [n], data } });
    clearInterval(sampler);
    const out = result.outputs.y!.data as Float32Array;
    expect(out.length).toBe(n);
    expect(out[n - 1]).toBe(42.5);
    expect(out[4096 * 100]).toBe(4096 * 100);
    // Orchestrator memory grows by a small multiple of the tensor (reply buffer + output view), not 9x.
    expect((peak - rssBefore) / limit).toBeLessThan(5);
    const tooBig = new Float32Array(n + 1);
    const t0 = Date.now();
    await expect(identity.run({ x: { dtype: 'float32', dims: [n + 1], data: tooBig } })).rejects.toMatchObject({
      code: ErrorCode.TensorTooLarge,
      message: expect.stringMatching(/above maxTensorBytes = 67108864.*harness\.maxTensorBytes/),
    });
    expect(Date.now() - t0).toBeLessThan(500);
    expect((await identity.run({ x: { dtype: 'float32', dims: [4], data: new Float32Array([1, 2, 3, 4]) } })).outputs.y!.data).toEqual(new Float32Array([1, 2, 3, 4]));
  });
});

describe('a page that answers wrong', () => {
  it('fails its known-answer check and is quarantined at once; traffic goes elsewhere; it is replaced', async () => {
    const p = await start({ health: { knownAnswerIntervalMs: 1000 } });
    const model = await p.getModel('vision', 'vit-tiny');
    const inputs = vit.sampleInputs({ seed: 8 });
    const expected = await runReference(await vit.source(), inputs);
    const quarantined = collect(p, 'connection:quarantine');
    const liar = p.connections[0]!;
    await liar.connection.faults.corruptOutputs();
    await expect.poll(() => quarantined.map((q) => q.connectionId), { timeout: 10_000 }).toContain(liar.id);
    expect(quarantined[0]).toMatchObject({ state: 'quarantined', reason: expect.stringMatching(/known-answer check failed/) });
    expect(p.connections.map((c) => c.id)).not.toContain(liar.id);
    for (let i = 0; i < 30; i++) {
      const r = await model.run(inputs);
      expect(r.connectionId).not.toBe(liar.id);
      expect(worstDiff(r.outputs, expected)).toBeLessThanOrEqual(FP32_TOLERANCE);
    }
    await expect.poll(() => p.connections.filter((c) => c.accepting).length, { timeout: 15_000 }).toBe(2);
    await expect.poll(() => liar.state.kind, { timeout: 15_000 }).toBe('closed');
  });
});
