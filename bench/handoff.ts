/**
 * Issue #18, tensors that stay in the page between models: an encoder whose 4 MB or 32 MB output feeds a head
 * (elementwise compute, so moving the intermediate is most of the cost), once through Node (the intermediate comes
 * back in the reply and goes out again in the head's request) and once as a kept handle (a WebGPU buffer, or page
 * memory on wasm). Same connection, same inputs; p50 of the whole pipeline and the ratio handoff / through Node.
 */
import type { BrowserHarness, Connection, Tensor } from '@browser-pool/browser-harness';
import { buildHandoffPipeline, HANDOFF_WIDTH, Rng } from '@browser-pool/models';

import { percentile } from './stats';
import { formatTable } from './table';

export interface HandoffBenchOptions {
  harness: BrowserHarness;
  quick: boolean;
  record: (name: string, value: unknown) => void;
}

const SIZES_MB = [4, 32];

async function pair(c: Connection, rows: number, backend: 'wasm' | 'webgpu', onDevice: boolean): Promise<{ encoder: string; head: string }> {
  const p = buildHandoffPipeline(rows);
  const options = onDevice ? { webgpu: { outputsOnDevice: true } } : {};
  const encoder = await c.load('handoff-encoder', { kind: 'bytes', bytes: p.encoder }, backend, options, { timeoutMs: 120_000 });
  const head = await c.load('handoff-head', { kind: 'bytes', bytes: p.head }, backend, options, { timeoutMs: 120_000 });
  return { encoder: encoder.sessionId, head: head.sessionId };
}

async function timed(iterations: number, once: () => Promise<void>): Promise<number> {
  await once(); // warm: first runs compile shaders and allocate
  const samples: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const start = performance.now();
    await once();
    samples.push(performance.now() - start);
  }
  return percentile(samples, 50);
}

export async function handoffBench(opts: HandoffBenchOptions): Promise<void> {
  const c = await opts.harness.launch('chromium');
  const webgpu = c.capabilities.webgpu;
  const adapter = webgpu.available ? (webgpu.isRealHardware ? 'real hardware' : `software adapter, not real hardware: ${webgpu.softwareReason ?? ''}`) : `unavailable: ${webgpu.reason}`;
  const x: Tensor = { dtype: 'float32', dims: [1, HANDOFF_WIDTH], data: new Rng(7).floats(HANDOFF_WIDTH, 1) };
  const iterations = opts.quick ? 3 : 8;
  const rows: string[][] = [];
  const raw: Record<string, unknown>[] = [];
  try {
    for (const backend of ['wasm', 'webgpu'] as const) {
      if (backend === 'webgpu' && !webgpu.available) {
        continue;
      }
      for (const mb of SIZES_MB) {
        const n = (mb * 1024 * 1024) / (HANDOFF_WIDTH * 4);
        const plain = await pair(c, n, backend, false);
        const kept = await pair(c, n, backend, backend === 'webgpu');
        const call = { timeoutMs: 120_000 };
        const viaNodeMs = await timed(iterations, async () => {
          const hidden = (await c.run(plain.encoder, { x }, call)).outputs.hidden!;
          await c.run(plain.head, { hidden }, call);
        });
        const handoffMs = await timed(iterations, async () => {
          const handle = (await c.run(kept.encoder, { x }, { ...call, keep: ['hidden'] })).handles.hidden!;
          await c.run(kept.head, { hidden: handle }, call);
          await c.releaseHandles([handle]);
        });
        for (const id of [plain.encoder, plain.head, kept.encoder, kept.head]) {
          await c.release(id);
        }
        const ratio = handoffMs / viaNodeMs;
        raw.push({ backend, intermediateMB: mb, viaNodeMs, handoffMs, ratio, iterations });
        rows.push([backend === 'webgpu' ? 'webgpu (software)' : backend, `${mb} MB`, viaNodeMs.toFixed(1), handoffMs.toFixed(1), ratio.toFixed(2)]);
        console.log(`  handoff ${rows.at(-1)!.join(' | ')}`);
      }
    }
  } finally {
    await c.close();
  }
  console.log(`\nHandoff: encoder -> head, intermediate through Node vs kept in the page (p50 of ${iterations}, one Chromium ${c.browserVersion} page; WebGPU ${adapter})`);
  console.log(formatTable(['backend', 'intermediate', 'through Node ms', 'handoff ms', 'handoff / Node'], rows));
  opts.record('handoff', { adapter, rows: raw });
}
