/**
 * `--static out/` works from any static host: the CLI writes the folder from a temp-file DuckDB with known rows, a
 * plain file server that knows nothing of the dashboard serves it, and Chromium loads it with no request leaving
 * 127.0.0.1 and the stored row counts in the status line.
 */
import { spawnSync } from 'node:child_process';
import { createReadStream, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, resolve } from 'node:path';

import { CHROMIUM_ARGS, findChromium } from '@browser-pool/browser-harness';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { dashboardDb } from './fixtures/dashboard-db';

const dir = mkdtempSync(join(tmpdir(), 'bp-dashboard-static-'));
const out = join(dir, 'site');
const cli = resolve(import.meta.dirname, '../packages/cli/bin/browser-pool.mjs');
let server: Server;

beforeAll(async () => {
  (await dashboardDb(join(dir, 'bench.duckdb'))).close();
  const run = spawnSync(process.execPath, [cli, '--db', join(dir, 'bench.duckdb'), 'dashboard', '--static', out], { encoding: 'utf8' });
  expect(run.status, run.stderr).toBe(0);
  expect(run.stdout).toMatch(/^wrote .*site \(\d+ tables, \d+ rows\)/);
  // the simplest static host: path -> file, a content type by extension, nothing else
  const types: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.wasm': 'application/wasm', '.json': 'application/json' };
  server = createServer((req, res) => {
    const path = join(out, decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname).replace(/\/$/, '/index.html'));
    if (!path.startsWith(out) || !existsSync(path) || !statSync(path).isFile()) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': types[extname(path)] ?? 'application/octet-stream' });
    createReadStream(path).pipe(res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
});

afterAll(async () => {
  await new Promise<void>((r) => server?.close(() => r()));
  rmSync(dir, { recursive: true, force: true });
});

describe('dashboard --static', () => {
  it('writes index.html, assets/ and snapshot/ that load from a plain file server', async () => {
    expect(existsSync(join(out, 'index.html')) && existsSync(join(out, 'snapshot', 'manifest.json'))).toBe(true);
    const browser = await chromium.launch({ executablePath: findChromium(), args: CHROMIUM_ARGS });
    try {
      const page = await browser.newPage();
      const offHost: string[] = [];
      const problems: string[] = [];
      page.context().on('request', (r) => {
        if (!r.url().startsWith('http://127.0.0.1:') && !r.url().startsWith('blob:') && !r.url().startsWith('data:')) {
          offHost.push(r.url());
        }
      });
      page.on('console', (m) => {
        if (m.type() === 'error') {
          problems.push(m.text());
        }
      });
      await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
      await page.locator('#status[data-state="ready"], #status[data-state="error"]').waitFor({ timeout: 90_000 });
      const manifest = (await import(join(out, 'snapshot', 'manifest.json'), { with: { type: 'json' } })) as { default: { tables: { rows: number }[] } };
      const rows = manifest.default.tables.reduce((a, t) => a + t.rows, 0);
      expect(await page.locator('#status').textContent()).toContain(`${manifest.default.tables.length} tables, ${rows} rows`);
      expect(await page.getByTestId('rec-p50').count()).toBeGreaterThan(0);
      expect(offHost).toEqual([]);
      expect(problems).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
