/**
 * The GitHub Actions benchmark workflow: its YAML is checked for structure (triggers, permissions, the database kept
 * between runs, reports published), every `browser-pool` line of the script it runs parses against the real CLI,
 * and the script itself runs here on an empty directory with a real Chromium sweep: a first run that creates the
 * database, then a second run that finds it, checks it and sweeps nothing new.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { buildProgram, type Command } from '@browser-pool/cli/main';
import { Store } from '@browser-pool/db-integration';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, unknown>;
}
interface Workflow {
  name: string;
  on: Record<string, unknown>;
  permissions: Record<string, string>;
  env: Record<string, string>;
  jobs: Record<string, { 'runs-on': string; 'timeout-minutes': number; steps: Step[] }>;
}

const workflow = parse(readFileSync('.github/workflows/benchmark.yml', 'utf8')) as Workflow;
const steps = workflow.jobs.sweep?.steps ?? [];

const SCRIPT = 'scripts/benchmark-workflow.sh';

/**
 * The `bp ...` (browser-pool) lines of the workflow script, continuation lines joined, with shell expansions
 * replaced by the value they take by default and redirections dropped.
 */
function cliLines(): string[][] {
  const text = readFileSync(SCRIPT, 'utf8').replace(/\\\n\s*/g, ' ');
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => /^bp\s/.test(l))
    .map((l) => l
      .replace(/\s*(>|\|\|).*$/, '')
      .replace(/"\$\{flags\[@\]\}"/g, '--flags precompile')
      .replace(/"?\$\{[A-Z_]+:-([^}]*)\}"?/g, '$1')
      .replace(/"\$\([^)]*\)[^"]*"|"\$[A-Z_]+[^"]*"/g, 'x'))
    .map((l) => l.split(/\s+/).filter((t) => t !== '').slice(1));
}

/** Throws when a command line would not parse: unknown command, unknown option, bad value. */
function validate(args: string[]): void {
  let cmd: Command = buildProgram({ out: () => undefined, err: () => undefined });
  const tokens = [...args];
  while (tokens.length > 0 && !tokens[0]!.startsWith('-')) {
    const sub = cmd.commands.find((c) => c.name() === tokens[0]);
    if (sub === undefined) {
      break;
    }
    cmd = sub;
    tokens.shift();
  }
  const options = [...cmd.options, ...(cmd.parent?.options ?? [])];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (!t.startsWith('--')) {
      continue;
    }
    const option = options.find((o) => o.long === t);
    if (option === undefined) {
      throw new Error(`${cmd.name()}: unknown option ${t}`);
    }
    if (option.required || option.optional) {
      const value = tokens[++i] ?? '';
      if (option.argChoices !== undefined) {
        expect(option.argChoices, `${t} ${value}`).toContain(value);
      }
      const parser = (option as unknown as { parseArg?: (v: string, prev: unknown) => unknown }).parseArg;
      parser?.(value, option.defaultValue);
    }
  }
  const missing = cmd.options.filter((o) => o.mandatory && !tokens.includes(o.long ?? ''));
  expect(missing.map((o) => o.long), cmd.name()).toEqual([]);
}

describe('benchmark workflow', () => {
  it('runs on a schedule and on demand, read-only, with a timeout', () => {
    expect(Object.keys(workflow.on).sort()).toEqual(['schedule', 'workflow_dispatch']);
    expect(workflow.permissions).toEqual({ contents: 'read' });
    expect(workflow.jobs.sweep?.['timeout-minutes']).toBeLessThanOrEqual(90);
    expect(workflow.env.BENCHMARK_DB_PATH).toMatch(/\.benchmark\/benchmark_db\.duckdb$/);
  });

  it('keeps the database between runs, runs the one script, and publishes the reports', () => {
    const uses = steps.map((s) => s.uses).filter((u): u is string => u !== undefined);
    expect(uses).toEqual(['actions/checkout@v4', 'actions/setup-node@v4', 'actions/cache/restore@v4', 'actions/cache/save@v4', 'actions/upload-artifact@v4']);
    const restore = steps.find((s) => s.uses === 'actions/cache/restore@v4');
    const save = steps.find((s) => s.uses === 'actions/cache/save@v4');
    expect(restore?.with?.path).toBe('.benchmark');
    expect(save?.with?.path).toBe('.benchmark');
    expect(save?.if).toBe('always()');
    const artifact = steps.find((s) => s.uses === 'actions/upload-artifact@v4');
    expect(String(artifact?.with?.path)).toContain('reports/');
    const runs = steps.filter((s) => s.run !== undefined);
    expect(runs.map((s) => s.run)).toEqual([`bash ${SCRIPT} "$GITHUB_WORKSPACE"`]);
    expect((runs[0] as Step & { env?: Record<string, string> }).env?.BROWSER_POOL_SETUP).toBe('1');
    expect(steps.indexOf(runs[0]!)).toBeGreaterThan(steps.indexOf(restore!));
    expect(steps.indexOf(runs[0]!)).toBeLessThan(steps.indexOf(save!));
  });

  it('every browser-pool command the script runs parses against the real CLI', () => {
    const lines = cliLines();
    expect(lines.map((l) => l.slice(0, 2).join(' '))).toEqual([
      'db check', 'availability', 'db check', 'bench --models', 'report regressions', 'report optimization', 'report recommendations', 'report performance', 'db backup',
    ]);
    for (const line of lines) {
      validate(line);
    }
    expect(() => validate(['bench', '--no-such-flag'])).toThrow(/unknown option --no-such-flag/);
    expect(() => validate(['bench', '--browsers', 'safari'])).toThrow(/--browsers must be/);
  });
});

const work = mkdtempSync(join(tmpdir(), 'bp-workflow-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function runScript(): Promise<{ code: number; out: string; err: string }> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    BENCH_MODELS: 'bert-tiny',
    BENCH_BROWSERS: 'chromium',
    BENCH_BACKENDS: 'wasm',
    BENCH_BATCH_SIZES: '1',
    BENCH_FLAGS: 'precompile',
    BENCH_EXTRA: '--min-iterations 5 --window 3 --max-iterations 15 --warmup 1',
  };
  delete env.BENCHMARK_DB_PATH;
  delete env.GITHUB_STEP_SUMMARY;
  delete env.BROWSER_POOL_SETUP; // this checkout is set up; the hosted runner sets it to 1
  try {
    const { stdout, stderr } = await promisify(execFile)('bash', [SCRIPT, work], { env, maxBuffer: 20 * 1024 * 1024 });
    return { code: 0, out: stdout, err: stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, out: e.stdout, err: e.stderr };
  }
}

async function count(db: string, sql: string): Promise<number> {
  const store = await Store.open({ path: db, readOnly: true });
  try {
    return Number((await store.one<{ n: number }>(sql))?.n ?? -1);
  } finally {
    store.close();
  }
}

describe('the workflow script on an empty directory', () => {
  it('creates the database, sweeps, reports and backs up; a second run finds the database, checks it and sweeps nothing new', async () => {
    const db = join(work, '.benchmark', 'benchmark_db.duckdb');
    const backups = (): string[] => readdirSync(join(work, '.benchmark', 'backups')).filter((f) => f.endsWith('.duckdb.gz'));
    const first = await runScript();
    expect(first.code, first.err).toBe(0);
    expect(first.err).toContain(`no database at ${db}: first run, it is created`);
    expect(first.err).toContain('plan: 2 configuration(s) to run, 0 skipped');
    expect(await count(db, 'SELECT count(*) AS n FROM performance_results')).toBe(2);
    expect(readFileSync(join(work, 'reports', 'db-check.md'), 'utf8')).toMatch(/^## check: OK/);
    for (const f of ['regressions.md', 'optimization.md', 'recommendations.md', 'benchmark-report.html', 'summary.md']) {
      expect(existsSync(join(work, 'reports', f)), f).toBe(true);
    }
    const summary = readFileSync(join(work, 'reports', 'summary.md'), 'utf8');
    expect(summary).toContain('# browser-pool regressions report');
    expect(summary).toContain('too few runs: 1 on / 1 off, need 5 per arm');
    expect(backups()).toHaveLength(1);

    const second = await runScript();
    expect(second.code, second.err).toBe(0);
    expect(second.err).toContain(`checking ${db}`);
    expect(second.out).toMatch(/## check: OK/);
    expect(second.err).toContain('plan: 0 configuration(s) to run, 2 skipped');
    expect(await count(db, 'SELECT count(*) AS n FROM performance_results')).toBe(2);
    expect(await count(db, "SELECT count(*) AS n FROM test_runs WHERE test_type = 'benchmark'")).toBe(2);
    expect(backups()).toHaveLength(2);
  }, 300_000);
});
