/**
 * An unknown command is a usage error however it is spelled: the installed `browser-pool` exits 2 with
 * "unknown command: <name>" and prints no help on stdout, so a script can tell a missing command from a working one
 * (the argument walk itself is unit-tested in packages/cli/src/unknown-command.test.ts).
 */
import { resolve } from 'node:path';

import { describe, expect, it } from 'vitest';

import { runCli } from './cli-run';

describe('browser-pool <unknown>', () => {
  it('exits 2 with "unknown command" even with --help after it', async () => {
    const run = await runCli(resolve('packages/cli/bin/browser-pool.mjs'), process.cwd(), ['--db', 'x.duckdb', 'frobnicate', '--help']);
    expect(run.code, run.err).toBe(2);
    expect(run.err).toContain('unknown command: frobnicate');
    expect(run.out).toBe('');
  });
});
