/**
 * The `browser-pool` command as a subprocess against temp databases: exit codes, printed output and written files.
 * The bench sweep runs real Chromium inference and stores results with their environment; a second sweep with
 * --missing-only runs nothing.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { Store } from '@browser-pool/db-integration';
import { afterAll, describe, expect, it } from 'vitest';

import { type CliOutcome, runCli } from './cli-run';

const BIN = resolve('packages/cli/bin/browser-pool.mjs');
const dir = mkdtempSync(join(tmpdir(), 'bp-cli-'));
const db = join(dir, 'cli.duckdb');

function cli(...args: string[]): Promise<CliOutcome> {
  return runCli(BIN, dir, args);
}

async function rows<T extends Record<string, unknown>>(sql: string): Promise<T[]> {
  return rowsIn<T>(db, sql);
}

async function rowsIn<T extends Record<string, unknown>>(path: string, sql: string): Promise<T[]> {
  const store = await Store.open({ path, readOnly: true });
  try {
    return await store.all<T>(sql);
  } finally {
    store.close();
  }
}

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('browser-pool CLI', () => {
  it('--help explains every command; bad usage exits 2', async () => {
    const help = await cli('--help');
    expect(help.code).toBe(0);
    for (const c of ['bench', 'report', 'query', 'compare', 'chart', 'import', 'export', 'db', 'availability', 'serve']) {
      expect(help.out).toContain(c);
    }
    const bench = await cli('bench', '--help');
    expect(bench.out).toMatch(/--missing-only[\s\S]*--refresh-older-than[\s\S]*--priority-only[\s\S]*--dry-run/);
    expect(bench.out).toContain('preferredLayout=NHWC');
    expect((await cli('db', 'backup', '--help')).out).toMatch(/--keep <n>/);
    expect((await cli('frobnicate')).code).toBe(2);
    const badList = await cli('--db', db, 'bench', '--browsers', 'safari', '--dry-run');
    expect(badList.code).toBe(2);
    expect(badList.err).toMatch(/--browsers must be a comma-separated list of chromium, firefox, edge/);
  });

  it('reading a database that does not exist says how to make one', async () => {
    const res = await cli('--db', join(dir, 'nope.duckdb'), 'db', 'stats');
    expect(res.code).toBe(1);
    expect(res.err).toMatch(/E_DB_OPEN: no benchmark database at .*nope\.duckdb; record one first/);
    expect(existsSync(join(dir, 'nope.duckdb'))).toBe(false);
  });

  it('bench runs a real sweep and stores every result with its environment; --missing-only then runs nothing', async () => {
    const args = ['--db', db, 'bench', '--models', 'bert-tiny', '--browsers', 'chromium', '--backends', 'wasm', '--batch-sizes', '1,2', '--flags', 'precompile', '--min-iterations', '6', '--window', '3', '--max-iterations', '30', '--warmup', '1'];
    const res = await cli(...args);
    expect(res.code, res.err).toBe(0);
    expect(res.err).toMatch(/4\/4 100%/);
    expect(res.err).toMatch(/regression scan: \d+ series, \d+ points, \d+ finding\(s\)/);
    const stored = await rows<{ batch_size: number; precompile_shaders: boolean; iterations: number; p50_latency_ms: number; browser: string; browser_version: string; backend: string; is_simulated: boolean; host: string; git_commit: string | null; first_run_ms: number; init_ms: number; stable: string }>(
      `SELECT r.batch_size, r.precompile_shaders, r.iterations, r.p50_latency_ms, h.browser, h.browser_version, h.backend, r.is_simulated, h.host, t.git_commit, r.first_run_ms, r.init_ms,
              json_extract_string(r.metrics, '$.stable') AS stable
       FROM performance_results r JOIN hardware_platforms h USING (hardware_id) JOIN test_runs t USING (run_id) ORDER BY r.precompile_shaders, r.batch_size`,
    );
    expect(stored.map((r) => [r.batch_size, r.precompile_shaders])).toEqual([[1, false], [2, false], [1, true], [2, true]]);
    for (const r of stored) {
      expect(r).toMatchObject({ browser: 'chromium', backend: 'wasm', is_simulated: false });
      expect(r.browser_version).toMatch(/^\d+\./);
      expect(r.iterations).toBeGreaterThanOrEqual(6);
      expect(r.iterations).toBeLessThanOrEqual(30);
      expect(r.p50_latency_ms).toBeGreaterThan(0);
      expect(r.first_run_ms).toBeGreaterThan(0);
      expect(r.init_ms).toBeGreaterThan(0);
    }
    expect((await rows<{ n: number }>("SELECT count(*) AS n FROM hardware_compatibility WHERE is_compatible"))[0]?.n).toBe(4);
    expect((await rows<{ n: number }>("SELECT count(*) AS n FROM hardware_availability_log WHERE browser = 'chromium' AND backend = 'wasm' AND available"))[0]?.n).toBeGreaterThanOrEqual(1);
    const again = await cli(...args, '--missing-only');
    expect(again.code).toBe(0);
    expect(again.err).toContain('plan: 0 configuration(s) to run, 4 skipped');
    expect((await rows<{ n: number }>('SELECT count(*) AS n FROM performance_results'))[0]?.n).toBe(4);
  }, 180_000);

  it('bench --dry-run plans from a configs CSV and exports the plan', async () => {
    const configs = join(dir, 'configs.csv');
    writeFileSync(configs, 'model,browser,backend,batch_size,precision,priority\nbert-tiny,chromium,wasm,1,fp32,true\nbert-tiny,chromium,wasm,8,fp32,false\nbert-tiny,chromium,webgpu,1,int8,false\n');
    const res = await cli('--db', db, 'bench', '--configs', configs, '--missing-only', '--dry-run', '--plan-csv', join(dir, 'plan.csv'));
    expect(res.code, res.err).toBe(0);
    const plan = readFileSync(join(dir, 'plan.csv'), 'utf8').trim().split('\n');
    expect(plan).toHaveLength(4);
    expect(plan[1]).toMatch(/^bert-tiny,chromium,wasm,1,fp32,false,false,false,true,skip,stored /);
    expect(plan[2]).toMatch(/^bert-tiny,chromium,wasm,8,fp32,false,false,false,false,run,no stored result$/);
    expect(res.out).toContain('## plan:');
  });

  it('import, query, compare, report, chart, export', async () => {
    const legacy = join(dir, 'legacy.json');
    writeFileSync(legacy, JSON.stringify([{ model: 'bert-tiny', browser: 'firefox', backend: 'wasm', batch_size: 1, latency_ms: 41, latency_p50: 40, throughput: 25 }]));
    writeFileSync(join(dir, 'broken.json'), '{');
    const imp = await cli('--db', db, 'import', legacy, join(dir, 'broken.json'));
    expect(imp.code).toBe(1);
    expect(imp.out).toContain('imported 1 file(s), 1 row(s); skipped 0; failed 1');
    expect(imp.err).toMatch(/failed\s+.*broken\.json: not valid JSON/);

    const q = await cli('--db', db, 'query', "SELECT browser, count(*) AS n FROM measurements GROUP BY browser ORDER BY browser", '--format', 'csv');
    expect(q.code).toBe(0);
    expect(q.out.trim().split('\n')).toEqual(['browser,n', 'chromium,4', 'firefox,1']);
    const write = await cli('--db', db, 'query', 'DELETE FROM performance_results');
    expect(write.code).toBe(2);
    expect(write.err).toContain('E_DB_READ_ONLY');

    const cmp = await cli('--db', db, 'compare', '--model', 'bert-tiny', '--metric', 'latency', '--by', 'browser', '--format', 'json');
    expect(cmp.code).toBe(0);
    const cmpRows = JSON.parse(cmp.out) as { browser: string; ratio_to_best: string }[];
    expect(cmpRows.map((r) => r.browser)).toEqual(['chromium', 'firefox']);
    expect(Number(cmpRows[0]?.ratio_to_best)).toBe(1);

    const out = join(dir, 'recs.json');
    const rep = await cli('--db', db, 'report', 'recommendations', '--format', 'json', '--output', out);
    expect(rep.code).toBe(0);
    expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual(expect.arrayContaining([expect.objectContaining({ modelType: 'text_embedding', browser: 'chromium', backend: 'wasm' })]));
    expect((await cli('--db', db, 'report', 'performance', '--format', 'md')).out).toMatch(/\| bert-tiny \| text_embedding \| chromium \| wasm \| 1 \|/);
    expect((await cli('--db', db, 'report', 'nonsense')).code).toBe(2);

    const svg = join(dir, 'chart.svg');
    expect((await cli('--db', db, 'chart', '--output', svg, '--metrics', 'latency')).code).toBe(0);
    expect(readFileSync(svg, 'utf8')).toMatch(/^<svg[\s\S]*bert-tiny/);

    const exp = await cli('--db', db, 'export', '--format', 'csv', '--output', join(dir, 'export'), '--tables', 'models');
    expect(exp.code).toBe(0);
    expect(readFileSync(join(dir, 'export', 'models.csv'), 'utf8')).toContain('bert-tiny');
  });

  it('db check, stats, optimize, backup and restore', async () => {
    const check = await cli('--db', db, 'db', 'check', '--json');
    expect(check.code).toBe(0);
    expect(JSON.parse(check.out)).toMatchObject({ ok: true });
    const stats = JSON.parse((await cli('--db', db, 'db', 'stats', '--json')).out) as { tables: { table: string; rows: number }[] };
    expect(stats.tables.find((t) => t.table === 'performance_results')?.rows).toBe(5);
    expect((await cli('--db', db, 'db', 'optimize')).out).toMatch(/optimized .* -> /);
    expect((await cli('--db', db, 'db', 'scan', '--days', '30')).out).toMatch(/^scanned \d+ series \(\d+ points\)/);
    const backup = await cli('--db', db, 'db', 'backup', '--dir', join(dir, 'bk'), '--compress', '--keep', '2');
    expect(backup.code).toBe(0);
    const file = /backup (\S+\.duckdb\.gz)/.exec(backup.out)?.[1] ?? '';
    const target = join(dir, 'restored.duckdb');
    expect((await cli('--db', target, 'db', 'restore', file)).code).toBe(0);
    expect((await cli('--db', target, 'db', 'restore', file)).code).toBe(1); // exists: needs --force
    const restored = JSON.parse((await cli('--db', target, 'db', 'stats', '--json')).out) as typeof stats;
    expect(restored.tables).toEqual(stats.tables);
    // After the backup (incremental scans write their per-series state): the first reads every series, the next one,
    // with nothing new, skips them all.
    const first = (await cli('--db', db, 'db', 'scan', '--days', '30', '--incremental', '--workers', '0')).out;
    const series = Number(/^scanned (\d+) series/.exec(first)?.[1]);
    expect(series).toBeGreaterThan(0);
    expect((await cli('--db', db, 'db', 'scan', '--days', '30', '--incremental')).out).toContain(`; ${series} unchanged series skipped`);
    expect((await cli('--db', db, 'db', 'scan', '--workers', '-1')).code).toBe(2);
  });

  it('Ctrl-C stops a sweep between groups: finished groups stay stored, the run is marked unsuccessful, exit 130', async () => {
    const sweepDb = join(dir, 'interrupted.duckdb');
    const child = spawn(process.execPath, [BIN, '--db', sweepDb, 'bench', '--models', 'bert-tiny', '--browsers', 'chromium', '--backends', 'wasm', '--batch-sizes', '1',
      '--flags', 'precompile,parallel-loading', '--min-iterations', '6', '--window', '3', '--max-iterations', '20', '--warmup', '1', '--no-scan'], { cwd: dir });
    let err = '';
    const code = await new Promise<number | null>((resolveExit) => {
      child.stderr.on('data', (d: Buffer) => {
        const before = err;
        err += d.toString();
        if (!/ 1\/4 /.test(before) && / 1\/4 /.test(err)) {
          child.kill('SIGINT'); // after the first group is stored
        }
      });
      child.once('exit', resolveExit);
    });
    expect(code, err).toBe(130);
    expect(err).toMatch(/interrupted: finishing the current group/);
    const stored = (await rowsIn<{ n: number }>(sweepDb, 'SELECT count(*) AS n FROM performance_results'))[0]?.n ?? 0;
    expect(stored).toBeGreaterThanOrEqual(1);
    expect(stored).toBeLessThan(4);
    expect(err).toContain(`stopped after ${stored} of 4 configuration(s)`);
    expect(await rowsIn(sweepDb, "SELECT success FROM test_runs WHERE test_type = 'benchmark'")).toEqual([{ success: false }]);
  }, 180_000);

  it('serve answers on a free port with external file access off, and stops cleanly on SIGTERM', async () => {
    const child = spawn(process.execPath, [BIN, '--db', db, 'serve', '--port', '0', '--token', 'tkn'], { cwd: dir });
    const url = await new Promise<string>((resolveUrl, reject) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /API on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
        if (m?.[1] !== undefined) {
          resolveUrl(m[1]);
        }
      });
      child.once('exit', (code) => reject(new Error(`serve exited ${code}: ${out}`)));
    });
    const health = (await (await fetch(`${url}/health`)).json()) as { status: string };
    expect(health.status).toBe('ok');
    const setting = await fetch(`${url}/query`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sql: "SELECT current_setting('enable_external_access') AS e" }) });
    expect(((await setting.json()) as { rows: { e: boolean }[] }).rows).toEqual([{ e: false }]);
    const exited = new Promise<number | null>((r) => child.once('exit', r));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
