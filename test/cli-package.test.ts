/**
 * The CLI as a user installs it, outside this repository: `npm pack` of every workspace package, the tarballs
 * installed into an empty folder with npm (dependencies from the registry, or npm's cache), then the installed
 * `browser-pool` runs `--help` and a real `availability` probe in Chromium. The installed copy serves the worker page
 * it carries (packed by the CLI's prepack step), since the repository's build is out of its reach.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { afterAll, describe, expect, it } from 'vitest';

/** Every workspace package: the CLI depends on all of them, directly or through another. */
const PACKAGES = readdirSync('packages').filter((p) => existsSync(join('packages', p, 'package.json'))).sort();
const dir = mkdtempSync(join(tmpdir(), 'bp-package-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(cmd: string, args: string[], cwd: string): Promise<{ code: number; out: string; err: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip' };
  delete env.BENCHMARK_DB_PATH;
  // npm run from vitest (itself started by npm) would otherwise install into the repository's workspace
  for (const k of Object.keys(env).filter((k) => k.startsWith('npm_'))) {
    delete env[k];
  }
  try {
    const { stdout, stderr } = await promisify(execFile)(cmd, args, { cwd, env, maxBuffer: 50 * 1024 * 1024 });
    return { code: 0, out: stdout, err: stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, out: e.stdout, err: e.stderr };
  }
}

describe('browser-pool as an installed package', () => {
  it('npm pack of the packages installs into an empty folder and runs --help and availability', async () => {
    const packs = join(dir, 'packs');
    mkdirSync(packs);
    const packed = await run('npm', ['pack', '--pack-destination', packs, ...PACKAGES.flatMap((p) => ['-w', `packages/${p}`])], process.cwd());
    expect(packed.code, packed.err).toBe(0);
    const tarballs = readdirSync(packs).filter((f) => f.endsWith('.tgz')).sort();
    expect(tarballs).toEqual(PACKAGES.map((p) => `browser-pool-${p}-0.1.0.tgz`).sort());
    expect(existsSync('packages/cli/dist'), 'postpack removes the bundled copy from the working tree').toBe(false);

    const app = join(dir, 'app');
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'uses-browser-pool', private: true }));
    const installed = await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', ...tarballs.map((t) => join(packs, t))], app);
    expect(installed.code, installed.err).toBe(0);

    // the repository's build is out of reach from here: the page served is the copy the CLI package carries
    expect(existsSync(join(app, 'node_modules', '@browser-pool', 'cli', 'dist', 'pages', 'worker.html'))).toBe(true);
    expect(existsSync(join(app, 'node_modules', 'dist', 'pages'))).toBe(false);
    const bin = join(app, 'node_modules', '.bin', 'browser-pool');
    const help = await run(bin, ['--help'], app);
    expect(help.code, help.err).toBe(0);
    for (const command of ['bench', 'report', 'query', 'db', 'availability', 'serve']) {
      expect(help.out).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
    }

    const probe = await run(bin, ['--db', join(app, 'bench.duckdb'), 'availability', '--browsers', 'chromium', '--json'], app);
    expect(probe.code, probe.err).toBe(0);
    const found = JSON.parse(probe.out) as { browser: string; backend: string; available: boolean; browserVersion?: string }[];
    const wasm = found.find((f) => f.browser === 'chromium' && f.backend === 'wasm');
    expect(wasm?.available).toBe(true);
    expect(wasm?.browserVersion).toMatch(/^\d+\./);
    expect(found.map((f) => f.backend).sort()).toEqual(['wasm', 'webgpu', 'webnn']);
  }, 400_000);
});
