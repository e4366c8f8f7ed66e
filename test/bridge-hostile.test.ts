/**
 * The bridge and page server as a hostile local process meets them: raw TCP frames that break the WebSocket
 * protocol, a seeded fuzz of thousands of frames, fake workers without the secret or from a foreign origin, sockets
 * that never say hello or say too much, a flood of unadmitted sockets, and a look for any port into the browser.
 * The assertion each time: refused (with the right close code or status), nothing admitted, the process alive, and
 * a real page still answering correctly, including a request that was in flight throughout.
 */
import { readdirSync, readFileSync, readlinkSync, realpathSync } from 'node:fs';

import { BrowserHarness, type Connection, findFirefox } from '@browser-pool/browser-harness';
import { ModelCatalogue, runReference } from '@browser-pool/models';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';

import { FP32_TOLERANCE, seededRandom, worstDiff } from './helpers';
import { closeFrame, frame, rawUpgrade } from './raw-websocket';

const catalogue = ModelCatalogue.default();
const silero = catalogue.get('silero-vad');
const MAX_PAYLOAD = 4 * 1024 * 1024;
let harness: BrowserHarness;
let page: Connection;
let sessionId: string;
let origin: string;

beforeAll(async () => {
  harness = await BrowserHarness.start({ maxPayloadBytes: MAX_PAYLOAD, helloTimeoutMs: 1000, maxPendingSockets: 8 });
  origin = harness.pageServer.origin;
  page = await harness.launch('chromium');
  const source = await silero.source();
  if (source.kind !== 'file') {
    throw new Error('silero is a packaged file');
  }
  sessionId = (await page.load('silero-vad', { kind: 'url', url: harness.serveFile(source.path) }, 'wasm')).sessionId;
});
afterAll(async () => {
  await harness.close();
});

/** The real page computes the reference answer. */
async function pageStillAnswers(): Promise<void> {
  const inputs = silero.sampleInputs({ seed: 5 });
  const result = await page.run(sessionId, inputs);
  expect(worstDiff(result.outputs, await runReference(await silero.source(), inputs))).toBeLessThanOrEqual(FP32_TOLERANCE);
  expect(page.state.kind).toBe('ready');
}


describe('protocol-breaking frames close only their own socket', () => {
  const cases: [string, Buffer, number][] = [
    ['an unmasked client frame', frame({ opcode: 0x1, payload: Buffer.from('hi'), mask: false }), 1002],
    ['a reserved opcode (0x3)', frame({ opcode: 0x3, payload: Buffer.from('x') }), 1002],
    ['RSV1 set without an extension', frame({ opcode: 0x1, payload: Buffer.from('x'), rsv1: true }), 1002],
    ['a text frame with invalid UTF-8', frame({ opcode: 0x1, payload: Buffer.from([0xc3, 0x28, 0xff]) }), 1007],
    ['a frame longer than maxPayload', frame({ opcode: 0x2, payload: Buffer.alloc(0), announcedLength: MAX_PAYLOAD + 1 }), 1009],
    ['a ping with a 126-byte payload', frame({ opcode: 0x9, payload: Buffer.alloc(126, 1) }), 1002],
    ['a close frame with an invalid code (999)', closeFrame(999), 1002],
    ['a close frame with a reserved code (1005)', closeFrame(1005), 1002],
  ];

  it.each(cases)('%s: closed with %#', async (_label, bytes, code) => {
    // A request in flight the whole time: an in-page loop of a few seconds.
    const inFlight = page.loop(sessionId, silero.sampleInputs(), 0, 300, { timeoutMs: 60_000 });
    const raw = await rawUpgrade(harness.bridgeUrl, origin);
    expect(raw.status).toBe(101);
    raw.socket.write(bytes);
    expect(await raw.closed).toBe(code);
    raw.socket.destroy();
    expect((await inFlight).length).toBe(300);
    await pageStillAnswers();
  });

  it('a seeded fuzz of 3,000+ frames (raw bytes and protocol-valid garbage) admits nothing and breaks nothing', async () => {
    const random = seededRandom(20261130);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
    const bytes = (n: number): Buffer => Buffer.from(Array.from({ length: n }, () => Math.floor(random() * 256)));
    const texts = [
      () => JSON.stringify({ type: 'hello', secret: bytes(16).toString('hex'), connectionId: page.id, protocolVersion: 2, userAgent: 'x' }),
      () => JSON.stringify({ type: 'hello', connectionId: 42 }),
      () => JSON.stringify({ type: 'run.ok', id: Math.floor(random() * 100), timings: {} }),
      () => '{"type":"batch","messages":[' + '['.repeat(200),
      () => bytes(Math.floor(random() * 64)).toString('latin1'),
    ];
    const admittedBefore = harness.bridgeCounters.admitted;
    let frames = 0;
    const one = async (i: number): Promise<void> => {
      const raw = await rawUpgrade(harness.bridgeUrl, origin);
      const out: Buffer[] = [];
      if (i % 3 === 0) {
        out.push(bytes(1 + Math.floor(random() * 300))); // not even a frame
      } else {
        for (let k = 0; k < 3; k++) {
          const kind = pick(['text', 'binary', 'ping', 'pong', 'continuation'] as const);
          const payload =
            kind === 'text' ? Buffer.from(pick(texts)()) : kind === 'binary' ? bytes(Math.floor(random() * 200)) : bytes(Math.floor(random() * 100));
          const opcode = { text: 0x1, binary: 0x2, ping: 0x9, pong: 0xa, continuation: 0x0 }[kind];
          out.push(frame({ opcode, payload, fin: random() > 0.1 }));
        }
      }
      frames += out.length;
      raw.socket.write(Buffer.concat(out));
      await Promise.race([raw.closed, new Promise((r) => setTimeout(r, 200))]);
      raw.socket.destroy();
    };
    const total = 1500;
    for (let start = 0; start < total; start += 6) {
      await Promise.all(Array.from({ length: 6 }, (_, k) => one(start + k)));
    }
    expect(frames).toBeGreaterThanOrEqual(3000);
    expect(harness.bridgeCounters.admitted).toBe(admittedBefore);
    await pageStillAnswers();
  });
});

describe('only pages this harness launched get in', () => {
  const secretPath = (): string => new URL(harness.bridgeUrl).pathname.split('/')[1]!;

  it('an upgrade without the secret, with a wrong one, or from a foreign or missing Origin never becomes a socket', async () => {
    const bridge = new URL(harness.bridgeUrl);
    const wrong = `${bridge.protocol}//${bridge.host}/${'A'.repeat(secretPath().length)}/bridge`;
    expect((await rawUpgrade(`${bridge.protocol}//${bridge.host}/bridge`, origin)).status).toBe(404);
    expect((await rawUpgrade(wrong, origin)).status).toBe(404);
    expect((await rawUpgrade(harness.bridgeUrl, 'http://evil.example')).status).toBe(403);
    expect((await rawUpgrade(harness.bridgeUrl, undefined)).status).toBe(403);
    await pageStillAnswers();
  });

  it('a socket that says a wrong hello, an unknown id, nothing, or too much is closed before it is admitted', async () => {
    const admittedBefore = harness.bridgeCounters.admitted;
    const hello = (secret: string, connectionId: string): Buffer =>
      frame({ opcode: 0x1, payload: Buffer.from(JSON.stringify({ type: 'hello', secret, connectionId, protocolVersion: 2, userAgent: 'fake' })) });
    const wrongSecret = await rawUpgrade(harness.bridgeUrl, origin);
    wrongSecret.socket.write(hello('not-the-secret', page.id));
    expect(await wrongSecret.closed).toBe(1008);
    const unknownId = await rawUpgrade(harness.bridgeUrl, origin);
    unknownId.socket.write(hello(secretPath(), 'chromium-00000000000000000000000000000000'));
    expect(await unknownId.closed).toBe(1008);
    const silent = await rawUpgrade(harness.bridgeUrl, origin);
    const started = Date.now();
    expect(await silent.closed).toBe(1008); // helloTimeoutMs 1000
    expect(Date.now() - started).toBeLessThan(3000);
    const chatty = await rawUpgrade(harness.bridgeUrl, origin);
    chatty.socket.write(frame({ opcode: 0x2, payload: Buffer.alloc(8000) }));
    expect(await chatty.closed).toBe('destroyed');
    expect(harness.bridgeCounters.admitted).toBe(admittedBefore);
    await pageStillAnswers();
  });

  it('unadmitted sockets are bounded: past maxPendingSockets the upgrade gets 503, and slots come back', async () => {
    await expect.poll(() => harness.bridgeCounters.pending).toBe(0); // earlier tests' sockets are gone
    const held = await Promise.all(Array.from({ length: 8 }, () => rawUpgrade(harness.bridgeUrl, origin)));
    expect(held.every((h) => h.status === 101)).toBe(true);
    expect((await rawUpgrade(harness.bridgeUrl, origin)).status).toBe(503);
    held.forEach((h) => h.socket.destroy());
    await expect.poll(() => harness.bridgeCounters.pending).toBe(0);
    const again = await rawUpgrade(harness.bridgeUrl, origin);
    expect(again.status).toBe(101);
    again.socket.destroy();
    await pageStillAnswers();
  });

  it('a ws client that knows a pending connection id but not the secret cannot take the page’s place', async () => {
    const pending = harness.launch('chromium');
    const bridge = new URL(harness.bridgeUrl);
    const fake = new WebSocket(`${bridge.protocol}//${bridge.host}/bridge`, { origin });
    const refused = await new Promise<string>((resolve) => {
      fake.on('unexpected-response', (_req, res) => resolve(String(res.statusCode)));
      fake.on('error', (e) => resolve(e.message));
    });
    expect(refused).toMatch(/404/);
    const real = await pending;
    expect(real.id).toMatch(/^chromium-[0-9a-f]{32}$/); // 128-bit ids
    expect(real.capabilities.transport).toBe('relay');
    await real.close();
  });

  it('the page server serves pages, ORT and model bytes only under the secret', async () => {
    const source = await silero.source();
    const modelUrl = harness.serveFile(source.kind === 'file' ? source.path : '');
    const secret = secretPath();
    expect((await fetch(`${origin}/${secret}/pages/worker.html`)).status).toBe(200);
    expect((await fetch(modelUrl)).status).toBe(200);
    for (const path of ['/pages/worker.html', '/ort/ort.min.mjs', '/json', '/json/version', '/', `/${'x'.repeat(secret.length)}/pages/worker.html`, modelUrl.replace(`/${secret}`, '')]) {
      const res = await fetch(path.startsWith('http') ? path : `${origin}${path}`);
      expect(res.status, path).toBe(404);
      expect(await res.text()).toBe('not found');
    }
    expect((await fetch(`${origin}/${secret}/pages/worker.html`, { method: 'POST' })).status).toBe(405);
  });
});

/** Every pid in the tree under `root` (the browser and its helper processes). */
function processTree(root: number): Set<number> {
  const parent = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) {
      continue;
    }
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parent.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // the process ended while we looked
    }
  }
  const tree = new Set([root]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, ppid] of parent) {
      if (tree.has(ppid) && !tree.has(pid)) {
        tree.add(pid);
        grew = true;
      }
    }
  }
  return tree;
}

/**
 * Processes running `executable`: Firefox may re-exec itself at its first start with a new profile, and the process
 * that holds its port is then no child of the pid the launcher saw.
 */
function processesOf(executable: string): Set<number> {
  const target = realpathSync(executable);
  const pids = new Set<number>();
  for (const entry of readdirSync('/proc')) {
    try {
      if (/^\d+$/.test(entry) && readlinkSync(`/proc/${entry}/exe`) === target) {
        pids.add(Number(entry));
      }
    } catch {
      // ended, or not ours to read
    }
  }
  return pids;
}

/** TCP ports in LISTEN state held by any of `pids`. */
function listeningPorts(pids: Set<number>): number[] {
  const inodes = new Set<string>();
  for (const pid of pids) {
    try {
      for (const fd of readdirSync(`/proc/${pid}/fd`)) {
        const link = readlinkSync(`/proc/${pid}/fd/${fd}`, { encoding: 'utf8' });
        const m = /^socket:\[(\d+)\]$/.exec(link);
        if (m !== null) {
          inodes.add(m[1]!);
        }
      }
    } catch {
      // gone, or not ours to read
    }
  }
  const ports: number[] = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f[3] === '0A' && inodes.has(f[9] ?? '')) {
        ports.push(parseInt(f[1]!.split(':')[1]!, 16));
      }
    }
  }
  return ports;
}

describe('a local process looking for a way into the browser', () => {
  it('Chromium listens on no port at all (launched over a pipe), yet the pool knows its pid', () => {
    expect(page.pid).toBeGreaterThan(0);
    const tree = processTree(page.pid!);
    expect(tree.size).toBeGreaterThan(1); // the browser and its renderer/GPU/utility processes
    expect(listeningPorts(tree)).toEqual([]);
  });

  it.runIf(findFirefox() !== undefined)('Firefox’s only port (WebDriver BiDi) refuses a second session: nobody else can drive it', async () => {
    const firefox = await harness.launch('firefox');
    try {
      expect(firefox.pid).toBeGreaterThan(0);
      // Every Firefox process here (this one's tree, and any other harness's Firefox: each must refuse), a few times
      // over: the port is found where it is, not where the launcher's pid says it should be.
      const firefoxPorts = (): number[] => listeningPorts(new Set([...processTree(firefox.pid!), ...processesOf(findFirefox()!)]));
      await expect.poll(() => firefoxPorts().length, { timeout: 5000, interval: 250 }).toBeGreaterThan(0);
      const ports = firefoxPorts();
      for (const port of ports) {
        const ws = new WebSocket(`ws://127.0.0.1:${port}/session`);
        const answer = await new Promise<string>((resolve) => {
          ws.on('open', () => ws.send(JSON.stringify({ id: 1, method: 'session.new', params: { capabilities: {} } })));
          ws.on('message', (d: Buffer) => resolve(d.toString()));
          ws.on('unexpected-response', (_q, res) => resolve(`HTTP ${res.statusCode}`));
          ws.on('error', (e) => resolve(`error ${e.message}`));
        });
        ws.terminate();
        expect(answer).not.toMatch(/"type":"success"/);
      }
      expect(firefox.state.kind).toBe('ready');
      expect(await firefox.ping()).toBeGreaterThan(0);
    } finally {
      await firefox.close();
    }
  });
});
