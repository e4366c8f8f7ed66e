#!/usr/bin/env node
// `npm pack` of @browser-pool/cli runs this: `bundle-pages.mjs` before packing (prepack), `bundle-pages.mjs --clean`
// after (postpack). The built worker page lives at the repository root (dist/pages, made by `npm run setup` /
// `npm run build:pages`), which an installed package cannot reach, so a copy travels in the package as dist/pages
// and the CLI uses it when the repository's is absent (src/pages-dir.ts). The copy is removed after packing so the
// working tree holds one build only.
import { cpSync, existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const pkg = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const built = path.resolve(pkg, '../../dist/pages');
if (process.argv.includes('--clean')) {
  rmSync(path.join(pkg, 'dist'), { recursive: true, force: true });
  process.exit(0);
}
if (!existsSync(path.join(built, 'worker.html'))) {
  console.error(`[bundle-pages] no built worker page at ${built}: run \`npm run build:pages\` (or \`npm run setup\`) before npm pack`);
  process.exit(1);
}
rmSync(path.join(pkg, 'dist/pages'), { recursive: true, force: true });
cpSync(built, path.join(pkg, 'dist/pages'), { recursive: true });
console.error(`[bundle-pages] copied ${built} into the package`);
