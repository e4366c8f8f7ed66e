/**
 * Detector quality on public annotated series: the Turing Change Point Dataset (van den Burg & Williams, "An
 * evaluation of change point detection algorithms", 2020; github.com/alan-turing-institute/TCPD), scored with its own
 * rule. Not benchmark histories, and not tuned to: it shows how the detectors do on real series annotated by people.
 * The data is not in this repository (each series has its own licence): point TCPD_DIR at a checkout
 * (annotations.json, datasets/<name>/<name>.json); without it this part is skipped and says so.
 *
 * Rule (TCPDBench's F1): every detector's change points plus index 0 against each annotator's plus index 0, matched
 * within 5 points, each annotation at most once; precision against the union of the annotators, recall averaged over
 * them. Only univariate series whose values are all positive (the detectors read latencies) are used; every finding
 * counts, whatever its direction or kind.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { cusumDetector, detectFindings, type Detection, peltDetector, zScoreDetector } from '@browser-pool/db-integration';

const MARGIN = 5;

/** Annotations matched by predictions within MARGIN, each prediction used once. */
function matched(truth: readonly number[], predicted: readonly number[]): number {
  const used = new Set<number>();
  let n = 0;
  for (const t of truth) {
    const j = predicted.findIndex((p, i) => !used.has(i) && Math.abs(p - t) <= MARGIN);
    if (j >= 0) {
      used.add(j);
      n++;
    }
  }
  return n;
}

export function tcpdF1(predicted: readonly number[], annotators: readonly (readonly number[])[]): number {
  const p = [...new Set([0, ...predicted])];
  const union = [...new Set([0, ...annotators.flat()])];
  const precision = matched(union, p) / p.length;
  const recall = annotators.map((a) => {
    const t = [...new Set([0, ...a])];
    return matched(t, p) / t.length;
  });
  const r = recall.reduce((x, y) => x + y, 0) / recall.length;
  return precision + r === 0 ? 0 : (2 * precision * r) / (precision + r);
}

const DETECTORS: Record<string, (values: number[]) => Detection[]> = {
  'nothing reported': () => [],
  'z-score': (v) => zScoreDetector(v, 'latency'),
  CUSUM: (v) => cusumDetector(v, 'latency'),
  PELT: (v) => peltDetector(v, 'latency'),
  ours: (v) => detectFindings(v.map((value, i) => ({ at: i * 86_400_000, value, backend: 'any', adapter: undefined, isRealHardware: true })), 'any', 'latency'),
};

interface TcpdSeries {
  name: string;
  n_dim: number;
  series: { raw: (number | null)[] }[];
}

/** Mean TCPD F1 per detector over the usable series under `dir`, or undefined when `dir` holds no TCPD checkout. */
export function publicSeriesQuality(dir: string): { series: number; meanF1: Record<string, number> } | undefined {
  const annotationsFile = join(dir, 'annotations.json');
  if (!existsSync(annotationsFile)) {
    return undefined;
  }
  const annotations = JSON.parse(readFileSync(annotationsFile, 'utf8')) as Record<string, Record<string, number[]>>;
  const sums: Record<string, number> = {};
  let count = 0;
  for (const name of readdirSync(join(dir, 'datasets'))) {
    const file = join(dir, 'datasets', name, `${name}.json`);
    const byAnnotator = annotations[name];
    if (!existsSync(file) || byAnnotator === undefined) {
      continue;
    }
    const d = JSON.parse(readFileSync(file, 'utf8')) as TcpdSeries;
    const raw = d.series[0]?.raw ?? [];
    if (d.n_dim !== 1 || raw.length === 0 || raw.some((x) => x === null || !(x > 0))) {
      continue;
    }
    count++;
    for (const [detector, detect] of Object.entries(DETECTORS)) {
      sums[detector] = (sums[detector] ?? 0) + tcpdF1(detect(raw as number[]).map((f) => f.index), Object.values(byAnnotator));
    }
  }
  return { series: count, meanF1: Object.fromEntries(Object.entries(sums).map(([k, s]) => [k, s / Math.max(1, count)])) };
}
