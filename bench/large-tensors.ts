/**
 * Large tensors (issue #11): 64 MB, 256 MB and 1 GB round trips through the identity model, our relay path (the page's
 * socket in a SharedWorker Playwright does not instrument) beside the page's own socket (`pageTransport: 'direct'`,
 * every frame copied into this process by Playwright), and beside raw WebSocket echoes from the page and from a
 * shared worker (no framing, no ORT: the browser's own ceilings). Each row gives MB/s (bytes in + out) and the
 * orchestrator's peak RSS growth during the call as a multiple of the tensor size.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

import { BrowserHarness, type Connection, findChromium } from '@browser-pool/browser-harness';
import { chromium, type Page } from 'playwright-core';
import { WebSocketServer } from 'ws';

import type { BenchContext } from './bridge';
import { formatTable } from './table';

const MB = 1024 * 1024;

interface Measured {
  ms: number;
  rssMultiple: number;
}

/** Runs `fn` while sampling this process's RSS; growth is measured from just before the call. */
async function withPeakRss(bytes: number, fn: () => Promise<number>): Promise<Measured> {
  const before = process.memoryUsage().rss;
  let peak = before;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
  try {
    const ms = await fn();
    peak = Math.max(peak, process.memoryUsage().rss);
    return { ms, rssMultiple: (peak - before) / bytes };
  } finally {
    clearInterval(timer);
  }
}

async function identityRoundTrip(ctx: BenchContext, harness: BrowserHarness, connection: Connection, bytes: number): Promise<Measured | string> {
  const source = await ctx.catalogue.get('identity').source();
  if (source.kind !== 'file') {
    throw new Error('identity is generated to a file');
  }
  const { sessionId } = await connection.load('identity', { kind: 'url', url: harness.serveFile(source.path) }, 'wasm');
  const n = bytes / 4;
  const data = new Float32Array(n);
  data[n - 1] = 7.25;
  try {
    return await withPeakRss(bytes, async () => {
      const r = await connection.run(sessionId, { x: { dtype: 'float32', dims: [n], data } }, { timeoutMs: 600_000 });
      const y = r.outputs.y?.data as Float32Array;
      if (y.length !== n || y[n - 1] !== 7.25) {
        throw new Error('identity round trip returned different data');
      }
      return r.endToEndMs;
    });
  } catch (error) {
    return `failed: ${(error as Error).message.slice(0, 120)}`;
  } finally {
    await connection.release(sessionId).catch(() => undefined);
  }
}

/** A raw echo of `bytes` from the page itself (`where: 'page'`) or from a shared worker it starts (ms). */
async function rawEcho(page: Page, port: number, bytes: number, where: 'page' | 'shared-worker'): Promise<Measured> {
  const url = JSON.stringify(`ws://127.0.0.1:${port}`);
  // A script string: the bench's own TypeScript has no DOM worker types, and this runs only in the page.
  const echoFrom = (scope: string): string =>
    `${scope}(async (bytes, reply) => { const ws = new WebSocket(${url}); ws.binaryType = 'arraybuffer';
      await new Promise((r) => (ws.onopen = r)); const t = performance.now(); ws.send(new Uint8Array(bytes));
      await new Promise((r) => (ws.onmessage = r)); ws.close(); reply(performance.now() - t); })`;
  const script =
    where === 'page'
      ? `new Promise((resolve) => ${echoFrom('')}(${bytes}, resolve))`
      : `new Promise((resolve) => {
          const code = 'onconnect = (e) => { const p = e.ports[0]; p.onmessage = (m) => ' + ${JSON.stringify(echoFrom(''))} + '(m.data, (ms) => p.postMessage(ms)); };';
          const worker = new SharedWorker(URL.createObjectURL(new Blob([code], { type: 'text/javascript' })));
          worker.port.onmessage = (e) => resolve(e.data);
          worker.port.postMessage(${bytes});
        })`;
  return withPeakRss(bytes, () => page.evaluate<number>(script));
}

const cell = (bytes: number, m: Measured | string): [string, string] =>
  typeof m === 'string' ? [m, '-'] : [`${((2 * bytes) / MB / (m.ms / 1000)).toFixed(1)} MB/s`, `${m.rssMultiple.toFixed(1)}x`];

export async function largeTensors(ctx: BenchContext): Promise<void> {
  const sizes = ctx.quick ? [64] : [64, 256, 1024];
  const direct = await BrowserHarness.start({ pageTransport: 'direct' });
  const directConnection = await direct.launch('chromium');
  const executablePath = findChromium();
  const rawBrowser = await chromium.launch({ ...(executablePath === undefined ? {} : { executablePath }) });
  const rawPage = await rawBrowser.newPage();
  // An http origin for the raw page (a shared worker cannot be made from about:blank), and the echo on the same port.
  const server = http.createServer((_req, res) => res.writeHead(200, { 'Content-Type': 'text/html' }).end('<!doctype html><title>echo</title>'));
  const echo = new WebSocketServer({ server, maxPayload: 2 * 1024 ** 3 });
  echo.on('connection', (ws) => ws.on('message', (data: Buffer) => ws.send(data)));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  await rawPage.goto(`http://127.0.0.1:${port}/`);
  const rows: string[][] = [];
  try {
    for (const mb of sizes) {
      const bytes = mb * MB;
      const ours = await identityRoundTrip(ctx, ctx.harness, ctx.connection, bytes);
      // The page's own socket is copied into this process as base64: at 1 GB that ends the process, so not run.
      const viaPage = mb <= 256 ? await identityRoundTrip(ctx, direct, directConnection, bytes) : 'not run (crashes the orchestrator: ERR_STRING_TOO_LONG)';
      const rawPageEcho = mb <= 256 ? await rawEcho(rawPage, port, bytes, 'page') : 'not run (same copy)';
      const rawWorkerEcho = await rawEcho(rawPage, port, bytes, 'shared-worker');
      rows.push([`${mb} MB`, ...cell(bytes, ours), ...cell(bytes, viaPage), ...cell(bytes, rawPageEcho), ...cell(bytes, rawWorkerEcho)]);
      ctx.record(`largeTensor.${mb}MB`, { ours, viaPage, rawPageEcho, rawWorkerEcho });
    }
  } finally {
    echo.close();
    server.close();
    await rawBrowser.close();
    await direct.close();
  }
  console.log('\n## Large tensors: identity round trip (MB/s counts bytes in + out; RSS = orchestrator peak growth / tensor size)\n');
  console.log(
    formatTable(
      ['size', 'ours (relay)', 'RSS', 'page socket (Playwright copies)', 'RSS', 'raw echo, page socket', 'RSS', 'raw echo, shared worker (ceiling)', 'RSS'],
      rows,
    ),
  );
}
