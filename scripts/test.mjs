#!/usr/bin/env node
// `npm test`: setup, typecheck, lint, then both test runners. Arguments after `npm test --` go to vitest (reporters,
// a file filter), never to Playwright. Both runners always run, so one failing suite does not hide the other's
// results; the exit status is non-zero when any step failed. Playwright's results are also written as JSON to
// .cache/playwright-report.json (its list reporter stays on the console).
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name) => path.join(ROOT, 'node_modules', '.bin', name);

function step(what, cmd, args, env = {}) {
  console.log(`[test] ${what}`);
  const r = spawnSync(cmd, args, { cwd: ROOT, stdio: 'inherit', env: { ...process.env, ...env } });
  return r.status ?? 1;
}

function stopOnFailure(status, what) {
  if (status !== 0) {
    console.error(`[test] FAILED: ${what} (exit ${status})`);
    process.exit(status);
  }
}

stopOnFailure(step('setup', process.execPath, [path.join(ROOT, 'scripts', 'setup.mjs')]), 'setup');
stopOnFailure(step('typecheck', bin('tsc'), ['-b']), 'typecheck');
stopOnFailure(step('lint', bin('eslint'), ['--max-warnings=0', '.']), 'lint');
const vitest = step('vitest', bin('vitest'), ['run', ...process.argv.slice(2)]);
const playwright = step('playwright (e2e/)', bin('playwright'), ['test', '--reporter=list,json'], {
  PLAYWRIGHT_JSON_OUTPUT_NAME: path.join(ROOT, '.cache', 'playwright-report.json'),
});
if (vitest !== 0) console.error(`[test] FAILED: vitest (exit ${vitest})`);
if (playwright !== 0) console.error(`[test] FAILED: playwright test (exit ${playwright})`);
process.exit(vitest !== 0 ? vitest : playwright);
