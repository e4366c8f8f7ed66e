/**
 * Writes the generated catalogue models of the given sizes into the model cache.
 * Usage: tsx scripts/generate-models.ts [tiny|small|base ...]   (default: tiny)
 */
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';

import { defaultCacheDir, MODEL_SIZES, ModelCatalogue, type ModelSize } from '@browser-pool/models';

const sizes = (process.argv.length > 2 ? process.argv.slice(2) : ['tiny']) as ModelSize[];
for (const size of sizes) {
  if (!MODEL_SIZES.includes(size)) {
    console.error(`unknown size "${size}"; use ${MODEL_SIZES.join(', ')}`);
    process.exit(2);
  }
}
const catalogue = ModelCatalogue.default();
for (const entry of catalogue.list()) {
  if (entry.origin === 'generated' && (sizes.some((s) => entry.name.endsWith(`-${s}`) || entry.name.includes(`-${s}-`)) || entry.name === 'identity')) {
    // Rewrite from scratch: this runs when the generator's sources changed, so cached files may be stale.
    const cacheDir = defaultCacheDir();
    const stale = (await readdir(cacheDir).catch(() => [] as string[])).filter((f) => f.startsWith(`${entry.name}-v`));
    await Promise.all(stale.map((f) => rm(path.join(cacheDir, f))));
    const start = performance.now();
    const source = await entry.source();
    console.log(`  ${entry.name.padEnd(22)} ${source.kind === 'file' ? source.path : ''} (${(performance.now() - start).toFixed(0)} ms)`);
  }
}
