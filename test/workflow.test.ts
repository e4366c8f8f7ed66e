/**
 * The GitHub Actions benchmark workflow cannot run here, so its structure is checked: triggers, permissions, the
 * database kept between runs, reports published, and every `browser-pool` command line it runs parses against the
 * real CLI (command path exists, every option is one that command accepts, choices are valid).
 */
import { readFileSync } from 'node:fs';

import { buildProgram, type Command } from '@browser-pool/cli/main';
import { describe, expect, it } from 'vitest';
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

/** `npx browser-pool ...` lines of every run step, with `${{ }}` expressions replaced by a plausible value. */
function cliLines(): string[][] {
  return steps
    .flatMap((s) => (s.run ?? '').split('\n'))
    .map((l) => l.replace(/\$\{\{[^}]*\}\}/g, '7').trim())
    .filter((l) => l.startsWith('npx browser-pool'))
    .map((l) => l.split(/\s+/).slice(2));
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

  it('keeps the database between runs and publishes the reports', () => {
    const uses = steps.map((s) => s.uses).filter((u): u is string => u !== undefined);
    expect(uses).toEqual(['actions/checkout@v4', 'actions/setup-node@v4', 'actions/cache/restore@v4', 'actions/cache/save@v4', 'actions/upload-artifact@v4']);
    const restore = steps.find((s) => s.uses === 'actions/cache/restore@v4');
    const save = steps.find((s) => s.uses === 'actions/cache/save@v4');
    expect(restore?.with?.path).toBe('.benchmark');
    expect(save?.with?.path).toBe('.benchmark');
    expect(save?.if).toBe('always()');
    const artifact = steps.find((s) => s.uses === 'actions/upload-artifact@v4');
    expect(String(artifact?.with?.path)).toContain('benchmark-report.html');
    expect(steps.find((s) => s.name === 'Reports')?.run).toContain('GITHUB_STEP_SUMMARY');
    expect(steps.findIndex((s) => s.run?.includes('npm run setup'))).toBeLessThan(steps.findIndex((s) => s.run?.includes('browser-pool bench')));
  });

  it('every browser-pool command it runs parses against the real CLI', () => {
    const lines = cliLines();
    expect(lines.map((l) => l.slice(0, 2).join(' '))).toEqual([
      'db check', 'availability', 'bench --models', 'report regressions', 'report performance', 'report recommendations', 'db backup',
    ]);
    for (const line of lines) {
      validate(line);
    }
    expect(() => validate(['bench', '--no-such-flag'])).toThrow(/unknown option --no-such-flag/);
    expect(() => validate(['bench', '--browsers', 'safari'])).toThrow(/--browsers must be/);
  });
});
