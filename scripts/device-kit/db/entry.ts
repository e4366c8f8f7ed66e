/**
 * Device kit entry (scripts/device-kit/db/build.sh bundles it): runs bench/db.ts's reportAndScanAtScale alone, as `npm run bench -- --suite db`
 * would (quick: false, the bench's default; pass --quick to mirror `--quick`, which this part does not read), prints the
 * "## Scale" table and writes the recorded figures to $OUT_JSON when set.
 */
import { writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';

import { reportAndScanAtScale } from '../../../bench/db';

const quick = process.argv.includes('--quick');
const results: Record<string, unknown> = {};
const record = (k: string, v: unknown): void => {
  results[k] = v;
};
const host = {
  node: process.version,
  cores: availableParallelism(),
  cpu: cpus()[0]?.model ?? 'unknown',
  memGiB: Math.round(totalmem() / 2 ** 30),
  loadavgBefore: loadavg(),
};
console.log(`db scale kit${quick ? ' (quick)' : ''}: node ${host.node}, ${host.cores} cores (${host.cpu}), ${host.memGiB} GiB, load ${host.loadavgBefore.map((x) => x.toFixed(2)).join(' ')}`);
await reportAndScanAtScale({ quick, record });
const outJson = process.env.OUT_JSON;
if (outJson !== undefined && outJson !== '') {
  writeFileSync(outJson, JSON.stringify({ at: new Date().toISOString(), quick, host, loadavgAfter: loadavg(), results }, null, 2));
  console.log(`raw figures: ${outJson}`);
}
