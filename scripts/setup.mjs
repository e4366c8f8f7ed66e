#!/usr/bin/env node
// Ensures what a fresh machine lacks, and does nothing (fast) when all is there:
//   1. node modules            (npm ci / npm install when package files changed)
//   2. Debian packages         chromium (required), firefox-esr + mesa-vulkan-drivers (Firefox and its WebGPU)
//   3. the built worker page   (vite build when page or protocol sources changed)
//   4. generated tiny models   (written with seeded weights when the generator changed)
// Plain Node built-ins only: it runs before node_modules exists. Set BROWSER_POOL_SKIP_APT=1 to skip step 2.
// onnxruntime-node ships its CPU binary in the package; its install script only tries to download optional extras
// (CUDA/TensorRT), which cannot work offline: ONNXRUNTIME_NODE_INSTALL=skip tells it so (npm 11 skips it anyway).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const started = Date.now();
const say = (msg) => console.log(`[setup] ${msg}`);

function run(cmd, args, what) {
  say(`${what}: ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { cwd: ROOT, stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive', ONNXRUNTIME_NODE_INSTALL: 'skip' } });
  if (r.status !== 0) {
    console.error(`[setup] FAILED: ${what} (exit ${r.status ?? r.signal}). Fix the error above and run \`npm run setup\` again.`);
    process.exit(1);
  }
}

function listFiles(entry) {
  const abs = path.join(ROOT, entry);
  if (!existsSync(abs)) return [];
  if (statSync(abs).isFile()) return [abs];
  return readdirSync(abs, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile() && !d.name.endsWith('.test.ts'))
    .map((d) => path.join(d.parentPath, d.name))
    .sort();
}

/** Content hash of files; a stamp file holding it tells whether the step's output is current. */
function fingerprint(entries) {
  const h = createHash('sha256');
  for (const file of entries.flatMap(listFiles)) {
    h.update(path.relative(ROOT, file)).update(readFileSync(file));
  }
  return h.digest('hex');
}

function step(name, { inputs, stamp, outputsExist = () => true, action }) {
  const stampPath = path.join(ROOT, stamp);
  const want = fingerprint(inputs);
  const have = existsSync(stampPath) ? readFileSync(stampPath, 'utf8') : '';
  if (have === want && outputsExist()) return;
  action(have === '' ? 'missing' : 'out of date');
  mkdirSync(path.dirname(stampPath), { recursive: true });
  writeFileSync(stampPath, want);
  say(`${name}: done`);
}

// 1. node modules
const workspaces = readdirSync(path.join(ROOT, 'packages')).map((p) => `packages/${p}/package.json`);
step('node modules', {
  inputs: ['package.json', 'package-lock.json', ...workspaces],
  stamp: 'node_modules/.browser-pool-setup',
  outputsExist: () => existsSync(path.join(ROOT, 'node_modules/.bin/vite')),
  action: (why) => {
    // `npm ci` installs exactly the locked tree and never rewrites package-lock.json (the lock lists every platform's
    // optional packages, so it works on any machine). Without a lock, `npm install` creates one.
    const ci = existsSync(path.join(ROOT, 'package-lock.json'));
    run('npm', [ci ? 'ci' : 'install', '--no-audit', '--no-fund'], `node modules ${why}`);
  },
});

// 2. Debian packages
const DEBIAN = [
  { pkg: 'chromium', required: true, present: ['/usr/lib/chromium/chromium', '/usr/bin/chromium'] },
  { pkg: 'firefox-esr', required: false, present: ['/usr/bin/firefox-esr', '/usr/lib/firefox-esr/firefox-esr'] },
  { pkg: 'mesa-vulkan-drivers', required: false, present: ['/usr/share/vulkan/icd.d/lvp_icd.x86_64.json', '/usr/share/vulkan/icd.d/lvp_icd.aarch64.json'] },
  // The scale-out tests: namespaces, veths and tbf (iproute2), a self-signed certificate for the https way back (openssl).
  { pkg: 'iproute2', required: false, present: ['/usr/sbin/ip', '/usr/bin/ip', '/sbin/ip'] },
  { pkg: 'openssl', required: false, present: ['/usr/bin/openssl'] },
];
const missing = DEBIAN.filter((d) => !d.present.some((p) => existsSync(p)));
if (missing.length > 0 && process.env.BROWSER_POOL_SKIP_APT !== '1') {
  const names = missing.map((d) => d.pkg);
  const isRoot = process.getuid?.() === 0;
  const hasApt = existsSync('/usr/bin/apt-get');
  if (isRoot && hasApt) {
    run('apt-get', ['update', '-qq'], `Debian packages missing (${names.join(', ')})`);
    run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...names], 'installing Debian packages');
  } else {
    const why = !hasApt ? 'apt-get is not available on this system' : 'not running as root';
    const msg = `[setup] cannot install ${names.join(', ')}: ${why}. Install them yourself (e.g. \`sudo apt-get install -y ${names.join(' ')}\`), or point BROWSER_POOL_CHROMIUM at a Chromium binary.`;
    if (missing.some((d) => d.required) && process.env.BROWSER_POOL_CHROMIUM === undefined) {
      console.error(msg);
      process.exit(1);
    }
    console.warn(`${msg} Continuing: only Firefox (and its WebGPU) and the scale-out tests need these.`);
  }
}

// 3. worker page
step('worker page', {
  inputs: ['browser-pages', 'packages/browser-harness/src/page', 'packages/browser-harness/src/protocol', 'packages/dashboard/src/page', 'vite.config.ts', 'package-lock.json'],
  stamp: 'dist/pages/.build-stamp',
  outputsExist: () => existsSync(path.join(ROOT, 'dist/pages/worker.html')) && existsSync(path.join(ROOT, 'dist/pages/dashboard.html')),
  action: (why) => run(path.join(ROOT, 'node_modules/.bin/vite'), ['build'], `worker page ${why}, building`),
});

// 4. generated models (tiny ones; larger sizes are generated on first use)
step('generated models', {
  inputs: ['packages/models/src', 'scripts/generate-models.ts'],
  stamp: '.cache/models/.tiny-stamp',
  action: (why) => run(path.join(ROOT, 'node_modules/.bin/tsx'), ['scripts/generate-models.ts', 'tiny'], `generated models ${why}`),
});

say(`ready (${((Date.now() - started) / 1000).toFixed(1)} s)`);
