/**
 * Issue #2 benchmarks, one process, side by side:
 *  1. bridge overhead: end-to-end run() vs in-page compute for the same calls (p50, p99), plus the transport floor;
 *  2. throughput with many calls in flight on one connection vs an in-page tight loop (silero VAD);
 *  3. tensor round trip (1, 16, 64 MB float32) through an identity model vs Playwright page.evaluate with JSON arrays.
 */
import type { AddressInfo } from 'node:net';

import { type BrowserHarness, type Connection, findChromium, type TensorMap } from '@browser-pool/browser-harness';
import { type ModelCatalogue } from '@browser-pool/models';
import { chromium, type Page } from 'playwright-core';
import { WebSocketServer } from 'ws';

import { percentile } from './stats';
import { formatTable } from './table';

export interface BenchContext {
  harness: BrowserHarness;
  connection: Connection;
  catalogue: ModelCatalogue;
  quick: boolean;
  record: (name: string, value: unknown) => void;
}

async function load(ctx: BenchContext, name: string): Promise<string> {
  const source = await ctx.catalogue.get(name).source();
  if (source.kind !== 'file') {
    throw new Error(`${name} is expected to be a file`);
  }
  const info = await ctx.connection.load(name, { kind: 'url', url: ctx.harness.serveFile(source.path) }, 'wasm');
  return info.sessionId;
}

const fmt = (ms: number): string => ms.toFixed(3);

export async function bridgeOverhead(ctx: BenchContext): Promise<void> {
  const n = ctx.quick ? 200 : 1000;
  const identity = await load(ctx, 'identity');
  const cases: [string, string, TensorMap][] = [
    ['silero-vad (2 KB in)', await load(ctx, 'silero-vad'), ctx.catalogue.get('silero-vad').sampleInputs()],
    ['bert-tiny (128 B in)', await load(ctx, 'bert-tiny'), ctx.catalogue.get('bert-tiny').sampleInputs()],
    ['identity 64 KB', identity, { x: { dtype: 'float32', dims: [16384], data: new Float32Array(16384).fill(1) } }],
  ];
  const rows: string[][] = [];
  const pings: number[] = [];
  for (let i = 0; i < n; i++) {
    pings.push(await ctx.connection.ping());
  }
  rows.push(['ping (transport floor, JSON)', '-', '-', fmt(percentile(pings, 50)), fmt(percentile(pings, 99)), fmt(percentile(pings, 50)), fmt(percentile(pings, 99))]);
  for (const [label, sessionId, inputs] of cases) {
    for (let i = 0; i < 20; i++) {
      await ctx.connection.run(sessionId, inputs);
    }
    const compute: number[] = [];
    const e2e: number[] = [];
    const overhead: number[] = [];
    for (let i = 0; i < n; i++) {
      const r = await ctx.connection.run(sessionId, inputs);
      compute.push(r.computeMs);
      e2e.push(r.endToEndMs);
      overhead.push(r.endToEndMs - r.computeMs);
    }
    rows.push([label, fmt(percentile(compute, 50)), fmt(percentile(compute, 99)), fmt(percentile(e2e, 50)), fmt(percentile(e2e, 99)), fmt(percentile(overhead, 50)), fmt(percentile(overhead, 99))]);
    ctx.record(`bridge.${label}`, { computeP50: percentile(compute, 50), e2eP50: percentile(e2e, 50), overheadP50: percentile(overhead, 50), overheadP99: percentile(overhead, 99) });
  }
  console.log(`\n## Bridge overhead: end-to-end run() vs in-page compute, same calls (n=${n}, sequential, ms)  target: overhead p50 <= 0.3 ms\n`);
  console.log(formatTable(['call', 'in-page p50', 'in-page p99', 'end-to-end p50', 'end-to-end p99', 'overhead p50', 'overhead p99'], rows));
}

export async function throughput(ctx: BenchContext): Promise<void> {
  const sessionId = await load(ctx, 'silero-vad');
  const inputs = ctx.catalogue.get('silero-vad').sampleInputs();
  const total = ctx.quick ? 1000 : 4000;
  const loop = await ctx.connection.loop(sessionId, inputs, 100, total);
  const loopSeconds = loop.reduce((a, b) => a + b, 0) / 1000;
  const loopRate = total / loopSeconds;
  const rows: string[][] = [['in-page tight loop (baseline)', '-', loopRate.toFixed(0), '1.00x']];
  for (const inFlight of [1, 4, 16, 64]) {
    let next = 0;
    const start = performance.now();
    const worker = async (): Promise<void> => {
      while (next < total) {
        next++;
        await ctx.connection.run(sessionId, inputs);
      }
    };
    await Promise.all(Array.from({ length: inFlight }, worker));
    const rate = total / ((performance.now() - start) / 1000);
    rows.push([`run() with ${inFlight} in flight`, String(inFlight), rate.toFixed(0), `${(rate / loopRate).toFixed(2)}x`]);
    ctx.record(`throughput.inflight${inFlight}`, { runsPerSecond: rate, ratio: rate / loopRate });
  }
  console.log(`\n## Throughput on one connection, silero VAD (${total} runs)  target: ratio >= 0.9\n`);
  console.log(formatTable(['path', 'in flight', 'runs/s', 'ratio to loop'], rows));
}

/**
 * The browser's own transport ceiling: a raw WebSocket in the page sends `bytes` to a Node echo server and reads them
 * back, with no framing, validation or ORT. Returns the round trip in ms (median of `reps`).
 */
async function rawWebSocketEcho(page: Page, port: number, bytes: number, reps: number): Promise<number> {
  return page.evaluate(
    async ({ port, bytes, reps }) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}`);
      ws.binaryType = 'arraybuffer';
      await new Promise((r) => (ws.onopen = r));
      const payload = new Uint8Array(bytes);
      const times: number[] = [];
      for (let i = 0; i < reps; i++) {
        const start = performance.now();
        ws.send(payload);
        await new Promise((r) => (ws.onmessage = r));
        times.push(performance.now() - start);
      }
      ws.close();
      return times.sort((a, b) => a - b)[Math.floor(reps / 2)]!;
    },
    { port, bytes, reps },
  );
}

export async function tensorRoundTrip(ctx: BenchContext): Promise<void> {
  const sessionId = await load(ctx, 'identity');
  const executablePath = findChromium();
  const naiveBrowser = await chromium.launch({ ...(executablePath === undefined ? {} : { executablePath }) });
  const naivePage = await naiveBrowser.newPage();
  const echo = new WebSocketServer({ host: '127.0.0.1', port: 0, maxPayload: 1024 ** 3 });
  await new Promise((r) => echo.once('listening', r));
  echo.on('connection', (ws) => ws.on('message', (data: Buffer) => ws.send(data)));
  const echoPort = (echo.address() as AddressInfo).port;
  const sizes = ctx.quick ? [1, 16] : [1, 16, 64];
  const rows: string[][] = [];
  try {
    for (const mb of sizes) {
      const n = (mb * 1024 * 1024) / 4;
      const data = new Float32Array(n).map((_, i) => i % 1000);
      const reps = mb >= 64 ? 3 : 5;
      await ctx.connection.run(sessionId, { x: { dtype: 'float32', dims: [n], data } });
      const ours: number[] = [];
      for (let i = 0; i < reps; i++) {
        const r = await ctx.connection.run(sessionId, { x: { dtype: 'float32', dims: [n], data } });
        const y = r.outputs.y?.data as Float32Array;
        if (y.length !== n || y[n - 1] !== data[n - 1]) {
          throw new Error('identity round trip returned different data');
        }
        ours.push(r.endToEndMs);
      }
      // The naive path needs ~70 s at 16 MB here and a 64 MB JSON array risks V8's heap: not run above 16 MB.
      const naive: number[] = [];
      if (mb <= 16) {
        for (let i = 0; i < (mb >= 16 ? 1 : 3); i++) {
          const start = performance.now();
          const back = await naivePage.evaluate((arr: number[]) => Array.from(new Float32Array(arr)), Array.from(data));
          naive.push(performance.now() - start);
          if (back.length !== n) {
            throw new Error('naive round trip lost data');
          }
        }
      }
      const rawMs = await rawWebSocketEcho(naivePage, echoPort, mb * 1024 * 1024, reps);
      const bytes = 2 * mb; // in and out
      const oursMBs = bytes / (percentile(ours, 50) / 1000);
      const naiveMBs = naive.length === 0 ? undefined : bytes / (percentile(naive, 50) / 1000);
      const rawMBs = bytes / (rawMs / 1000);
      rows.push([
        `${mb} MB`,
        `${oursMBs.toFixed(1)} MB/s`,
        naiveMBs === undefined ? 'not run (> 16 MB)' : `${naiveMBs.toFixed(2)} MB/s`,
        naiveMBs === undefined ? '-' : `${(oursMBs / naiveMBs).toFixed(1)}x`,
        `${rawMBs.toFixed(1)} MB/s`,
        `${((100 * oursMBs) / rawMBs).toFixed(0)}%`,
      ]);
      ctx.record(`roundtrip.${mb}MB`, { oursMBs, naiveMBs, rawMBs, ratio: naiveMBs === undefined ? undefined : oursMBs / naiveMBs });
    }
  } finally {
    await naiveBrowser.close();
    echo.close();
  }
  console.log('\n## Tensor round trip, float32 through an identity model (MB/s counts bytes in + out)  target: >= 500 MB/s and >= 20x\n');
  console.log(formatTable(['size', 'ours', 'page.evaluate JSON (naive)', 'ours / naive', 'raw Chromium WebSocket echo (ceiling)', 'ours / ceiling'], rows));
}
