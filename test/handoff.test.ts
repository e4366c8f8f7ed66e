/**
 * Tensor handles in real Chromium: an encoder's output kept in the page (a WebGPU buffer, or page memory on wasm)
 * feeds a head on the same connection and gives the same score as the pipeline through Node; released, foreign and
 * lost handles fail with their typed errors, never a hang.
 */
import { BrowserHarness, type Connection, ErrorCode, type Tensor } from '@browser-pool/browser-harness';
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

describe('pages with workers', () => {
  it('keep no handles: a run with keep is E_HANDLE_ELSEWHERE saying why', async () => {
    const withWorkers = await BrowserHarness.start({ pageWorkers: 1 });
    try {
      const c = await withWorkers.launch('chromium');
      const s = await c.load('handoff-encoder', { kind: 'bytes', bytes: pipeline.encoder }, 'wasm');
      await expect(c.run(s.sessionId, { x }, { keep: ['hidden'] })).rejects.toMatchObject({
        code: ErrorCode.HandleElsewhere,
        message: expect.stringContaining('pageWorkers') as unknown,
      });
    } finally {
      await withWorkers.close();
    }
  }, 30_000);
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
