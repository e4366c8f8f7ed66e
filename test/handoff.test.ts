/**
 * Tensor handles in real Chromium: an encoder's output kept in the page (a WebGPU buffer, or page memory on wasm)
 * feeds a head on the same connection and gives the same score as the pipeline through Node; released, foreign and
 * lost handles fail with their typed errors, never a hang.
 */
import { BrowserHarness, type Connection, ErrorCode, type KeptTensor, type Tensor, TensorHandle } from '@browser-pool/browser-harness';
import { buildHandoffPipeline, HANDOFF_WIDTH, maxAbsDiff, Rng } from '@browser-pool/models';
import { ResourcePool } from '@browser-pool/pool';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const pipeline = buildHandoffPipeline(256);
const x: Tensor = { dtype: 'float32', dims: [1, HANDOFF_WIDTH], data: new Rng(7).floats(HANDOFF_WIDTH, 1) };
let harness: BrowserHarness;
let a: Connection;

beforeAll(async () => {
  harness = await BrowserHarness.start({ channel: { heartbeatIntervalMs: 250, maxMissedPongs: 20 } });
  a = await harness.launch('chromium');
}, 30_000);
afterAll(async () => {
  await harness.close();
});

async function loadPair(c: Connection, backend: 'wasm' | 'webgpu'): Promise<{ encoder: string; head: string }> {
  const options = backend === 'webgpu' ? { webgpu: { outputsOnDevice: true } } : {};
  const encoder = await c.load('handoff-encoder', { kind: 'bytes', bytes: pipeline.encoder }, backend, options);
  const head = await c.load('handoff-head', { kind: 'bytes', bytes: pipeline.head }, backend, options);
  return { encoder: encoder.sessionId, head: head.sessionId };
}

function output(outputs: Record<string, Tensor>, name: string): Tensor {
  const t = outputs[name];
  if (t === undefined) {
    throw new Error(`no output ${name}`);
  }
  return t;
}

describe('tensor handles between models on one connection', () => {
  it.each(['wasm', 'webgpu'] as const)('%s: the kept intermediate feeds the head and equals the pipeline through Node', async (backend) => {
    const s = await loadPair(a, backend);
    // Through Node: the intermediate comes back and goes out again.
    const hidden = output((await a.run(s.encoder, { x })).outputs, 'hidden');
    const viaNode = output((await a.run(s.head, { hidden })).outputs, 'score');
    // Handoff: the intermediate stays in the page.
    const kept = await a.run(s.encoder, { x }, { keep: ['hidden'] });
    expect(kept.outputs).toEqual({});
    const handle = kept.handles.hidden!;
    expect(handle).toMatchObject({ dtype: 'float32', dims: [pipeline.rows, HANDOFF_WIDTH], location: backend === 'webgpu' ? 'gpu-buffer' : 'cpu' });
    const viaHandle = await a.run(s.head, { hidden: handle });
    expect(viaHandle.copiedHandles).toEqual([]);
    expect(maxAbsDiff(output(viaHandle.outputs, 'score'), viaNode)).toBeLessThanOrEqual(1e-6);
    // The handle is reusable until released, and reads back to the same bytes the plain run returned.
    expect(maxAbsDiff(await a.readHandle(handle), hidden)).toBeLessThanOrEqual(1e-6);
    await a.releaseHandles([handle]);
    await expect(a.run(s.head, { hidden: handle })).rejects.toMatchObject({ code: ErrorCode.HandleReleased });
    // Releasing the session that made a handle releases the handle.
    const again = (await a.run(s.encoder, { x }, { keep: ['hidden'] })).handles.hidden!;
    await a.release(s.encoder);
    await expect(a.run(s.head, { hidden: again })).rejects.toMatchObject({ code: ErrorCode.HandleReleased });
    await a.release(s.head);
  }, 30_000);

  it('a GPU-buffer handle given to a wasm session is E_HANDLE_ELSEWHERE, or a recorded in-page copy when allowed', async () => {
    const gpu = await loadPair(a, 'webgpu');
    const cpu = await loadPair(a, 'wasm');
    const handle = (await a.run(gpu.encoder, { x }, { keep: ['hidden'] })).handles.hidden!;
    await expect(a.run(cpu.head, { hidden: handle })).rejects.toMatchObject({ code: ErrorCode.HandleElsewhere });
    const copied = await a.run(cpu.head, { hidden: handle }, { copyHandles: true });
    expect(copied.copiedHandles).toEqual([{ name: 'hidden', via: 'page' }]);
    const reference = output((await a.run(gpu.head, { hidden: handle })).outputs, 'score');
    expect(maxAbsDiff(output(copied.outputs, 'score'), reference)).toBeLessThanOrEqual(1e-5);
    for (const id of [gpu.encoder, gpu.head, cpu.encoder, cpu.head]) {
      await a.release(id);
    }
  }, 30_000);

  it('a handle used on another connection is E_HANDLE_ELSEWHERE (or a recorded copy through Node); connection loss is E_HANDLE_LOST', async () => {
    const b = await harness.launch('chromium');
    const sa = await loadPair(a, 'wasm');
    const sb = await loadPair(b, 'wasm');
    const onB = (await b.run(sb.encoder, { x }, { keep: ['hidden'] })).handles.hidden!;
    expect(onB.connectionId).toBe(b.id);
    await expect(a.run(sa.head, { hidden: onB })).rejects.toMatchObject({ code: ErrorCode.HandleElsewhere });
    const copied = await a.run(sa.head, { hidden: onB }, { copyHandles: true });
    expect(copied.copiedHandles).toEqual([{ name: 'hidden', via: 'node' }]);
    const onBScore = output((await b.run(sb.head, { hidden: onB })).outputs, 'score');
    expect(maxAbsDiff(output(copied.outputs, 'score'), onBScore)).toBeLessThanOrEqual(1e-6);
    // The browser holding the handle dies: using the handle fails at once with a typed error, not a hang.
    const lost = new Promise<void>((resolve) => b.onClose(() => resolve()));
    b.faults.killBrowser();
    await lost;
    expect(onB.state.kind).toBe('lost');
    await expect(a.run(sa.head, { hidden: onB }, { copyHandles: true })).rejects.toMatchObject({ code: ErrorCode.HandleLost });
    await expect(b.run(sb.head, { hidden: onB })).rejects.toMatchObject({ code: ErrorCode.HandleLost });
  }, 30_000);
});

describe('tensor handles on a page with workers', () => {
  let w: BrowserHarness;
  let c: Connection;
  beforeAll(async () => {
    w = await BrowserHarness.start({ pageWorkers: 2, pageReplicaBudgetMB: 0, channel: { heartbeatIntervalMs: 250, maxMissedPongs: 20 } });
    c = await w.launch('chromium');
  }, 30_000);
  afterAll(async () => {
    await w.close();
  });

  const workerOf = async (sessionId: string): Promise<number> => (await c.workers()).find((k) => k.sessions.some((s) => s.sessionId === sessionId))!.index;
  /** A handle Node never issued, or one Node already dropped: what the page itself answers for that id. */
  const kept = (handleId: string, sessionId: string): KeptTensor => ({ name: 'hidden', handleId, dtype: 'float32', dims: [pipeline.rows, HANDOFF_WIDTH], location: 'cpu', sessionId, backend: 'wasm' });
  const forged = (handleId: string, sessionId: string): TensorHandle => new TensorHandle(c, kept(handleId, sessionId));

  it('a kept output feeds a model on another worker (moved, recorded) and on its own (no copy), reads back, and is released', async () => {
    const encoder = (await c.load('handoff-encoder', { kind: 'bytes', bytes: pipeline.encoder }, 'wasm')).sessionId;
    const head = (await c.load('handoff-head', { kind: 'bytes', bytes: pipeline.head }, 'wasm')).sessionId;
    const headHere = (await c.load('handoff-head', { kind: 'bytes', bytes: pipeline.head }, 'wasm')).sessionId;
    expect(await workerOf(head)).not.toBe(await workerOf(encoder));
    expect(await workerOf(headHere)).toBe(await workerOf(encoder));
    const hidden = output((await c.run(encoder, { x })).outputs, 'hidden');
    const viaNode = output((await c.run(head, { hidden })).outputs, 'score');
    const kept = await c.run(encoder, { x }, { keep: ['hidden'] });
    expect(kept.outputs).toEqual({});
    const handle = kept.handles.hidden!;
    expect(handle).toMatchObject({ dtype: 'float32', dims: [pipeline.rows, HANDOFF_WIDTH], location: 'cpu', sessionId: encoder });
    const across = await c.run(head, { hidden: handle });
    expect(across.copiedHandles).toEqual([{ name: 'hidden', via: 'page' }]);
    expect(maxAbsDiff(output(across.outputs, 'score'), viaNode)).toBeLessThanOrEqual(1e-6);
    const here = await c.run(headHere, { hidden: handle });
    expect(here.copiedHandles).toEqual([]);
    expect(maxAbsDiff(output(here.outputs, 'score'), viaNode)).toBeLessThanOrEqual(1e-6);
    expect(maxAbsDiff(await c.readHandle(handle), hidden)).toBeLessThanOrEqual(1e-6);
    await c.releaseHandles([handle]);
    // Node knows it released it; the page says so too when asked by id.
    await expect(c.run(head, { hidden: forged(handle.handleId, encoder) })).rejects.toMatchObject({ code: ErrorCode.HandleReleased, message: expect.stringMatching(/was released/) as unknown });
    // Releasing the session that kept a handle releases it in its worker.
    const again = (await c.run(encoder, { x }, { keep: ['hidden'] })).handles.hidden!;
    await c.release(encoder);
    await expect(c.run(head, { hidden: forged(again.handleId, encoder) })).rejects.toMatchObject({ code: ErrorCode.HandleReleased });
    await Promise.all([head, headHere].map((s) => c.release(s)));
  }, 30_000);

  it('unknown and foreign handle ids are typed errors that leave the page serving', async () => {
    const encoder = (await c.load('handoff-encoder', { kind: 'bytes', bytes: pipeline.encoder }, 'wasm')).sessionId;
    const head = (await c.load('handoff-head', { kind: 'bytes', bytes: pipeline.head }, 'wasm')).sessionId;
    for (const id of ['h999999', 'x', '../h1', 'h'.repeat(64)]) {
      await expect(c.run(head, { hidden: forged(id, encoder) })).rejects.toMatchObject({ code: ErrorCode.HandleReleased, message: expect.stringContaining('no handle') as unknown });
      await expect(c.readHandle(forged(id, encoder))).rejects.toMatchObject({ code: ErrorCode.HandleReleased });
    }
    await c.releaseHandles([forged('h999998', encoder)]); // ignored, as on a page without workers
    const elsewhere = new TensorHandle({ id: 'another-connection', readHandle: () => Promise.reject(new Error('unused')), releaseHandles: () => Promise.resolve() }, kept('h1', encoder));
    await expect(c.run(head, { hidden: elsewhere })).rejects.toMatchObject({ code: ErrorCode.HandleElsewhere });
    const hidden = output((await c.run(encoder, { x })).outputs, 'hidden');
    const viaNode = output((await c.run(head, { hidden })).outputs, 'score');
    const handle = (await c.run(encoder, { x }, { keep: ['hidden'] })).handles.hidden!;
    expect(maxAbsDiff(output((await c.run(head, { hidden: handle })).outputs, 'score'), viaNode)).toBeLessThanOrEqual(1e-6);
    await Promise.all([encoder, head].map((s) => c.release(s)));
  }, 30_000);

  it('a GPU-buffer handle on another worker needs copyHandles (each worker has its own GPU device); with it, a recorded copy', async () => {
    const options = { webgpu: { outputsOnDevice: true } };
    const encoder = (await c.load('handoff-encoder', { kind: 'bytes', bytes: pipeline.encoder }, 'webgpu', options)).sessionId;
    const head = (await c.load('handoff-head', { kind: 'bytes', bytes: pipeline.head }, 'webgpu', options)).sessionId;
    expect(await workerOf(head)).not.toBe(await workerOf(encoder));
    const hidden = output((await c.run(encoder, { x })).outputs, 'hidden');
    const viaNode = output((await c.run(head, { hidden })).outputs, 'score');
    const handle = (await c.run(encoder, { x }, { keep: ['hidden'] })).handles.hidden!;
    expect(handle.location).toBe('gpu-buffer');
    await expect(c.run(head, { hidden: handle })).rejects.toMatchObject({ code: ErrorCode.HandleElsewhere, message: expect.stringContaining('copyHandles') as unknown });
    const copied = await c.run(head, { hidden: handle }, { copyHandles: true });
    expect(copied.copiedHandles).toEqual([{ name: 'hidden', via: 'page' }]);
    expect(maxAbsDiff(output(copied.outputs, 'score'), viaNode)).toBeLessThanOrEqual(1e-5);
    await Promise.all([encoder, head].map((s) => c.release(s)));
  }, 60_000);

  it('handles on a worker that is replaced (stuck) are E_HANDLE_RELEASED saying so; the page keeps answering', async () => {
    const encoder = (await c.load('handoff-encoder', { kind: 'bytes', bytes: pipeline.encoder }, 'wasm')).sessionId;
    const head = (await c.load('handoff-head', { kind: 'bytes', bytes: pipeline.head }, 'wasm')).sessionId;
    const headHere = (await c.load('handoff-head', { kind: 'bytes', bytes: pipeline.head }, 'wasm')).sessionId;
    const hidden = output((await c.run(encoder, { x })).outputs, 'hidden');
    const viaNode = output((await c.run(head, { hidden })).outputs, 'score');
    const handle = (await c.run(encoder, { x }, { keep: ['hidden'] })).handles.hidden!;
    await c.faults.faultWorker(encoder, 'spin');
    // A run given the handle on the stuck worker: the worker misses the deadline and is replaced, and the handle with it.
    const lost = { code: ErrorCode.HandleReleased, message: expect.stringMatching(/lost with its page worker/) as unknown };
    await expect(c.run(headHere, { hidden: handle }, { timeoutMs: 1500 })).rejects.toMatchObject(lost);
    expect(handle.state.kind).toBe('released'); // Node's handle follows the page's word
    await expect(c.run(head, { hidden: forged(handle.handleId, encoder) })).rejects.toMatchObject(lost);
    await expect(c.readHandle(forged(handle.handleId, encoder))).rejects.toMatchObject(lost);
    // The other worker answered meanwhile; the replaced one serves its sessions (reloaded) and keeps again.
    expect(maxAbsDiff(output((await c.run(head, { hidden })).outputs, 'score'), viaNode)).toBeLessThanOrEqual(1e-6);
    const fresh = (await c.run(encoder, { x }, { keep: ['hidden'], timeoutMs: 20_000 })).handles.hidden!;
    expect(maxAbsDiff(output((await c.run(head, { hidden: fresh })).outputs, 'score'), viaNode)).toBeLessThanOrEqual(1e-6);
    await Promise.all([encoder, head, headHere].map((s) => c.release(s)));
  }, 60_000);
});

describe('tensor handles through the pool', () => {
  it('model.run(inputs, { keep }) returns handles that the next model takes on the same connection; releasing the model releases them', async () => {
    const pool = new ResourcePool({ browsers: ['chromium'], backends: ['wasm'], health: { knownAnswerIntervalMs: 0 }, scaling: { minConnections: 1, maxConnections: 1 } });
    try {
      await pool.initialize();
      const encoder = await pool.getModel({ bytes: pipeline.encoder, name: 'handoff-encoder' });
      const head = await pool.getModel({ bytes: pipeline.head, name: 'handoff-head' });
      const hidden = output((await encoder.run({ x })).outputs, 'hidden');
      const viaNode = output((await head.run({ hidden })).outputs, 'score');
      const kept = await encoder.run({ x }, { keep: ['hidden'] });
      const handle = kept.handles.hidden!;
      const viaHandle = await head.run({ hidden: handle });
      expect(viaHandle.connectionId).toBe(handle.connectionId);
      expect(maxAbsDiff(output(viaHandle.outputs, 'score'), viaNode)).toBeLessThanOrEqual(1e-6);
      await encoder.release();
      await expect(head.run({ hidden: handle })).rejects.toMatchObject({ code: ErrorCode.HandleReleased });
    } finally {
      await pool.close();
    }
  }, 30_000);
});
