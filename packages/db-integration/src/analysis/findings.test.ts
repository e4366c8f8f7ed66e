import { describe, expect, it } from 'vitest';

import { smallestDetectableStep } from './detect/detectability';
import { detectFindings, type StretchMemo } from './findings';
import type { Detection, SeriesPoint } from './regression';
import { seededRandom } from './stats';

function gaussian(random: () => number): number {
  return Math.sqrt(-2 * Math.log(Math.max(random(), 1e-12))) * Math.cos(2 * Math.PI * random());
}

type Noise = 'gaussian' | 'bimodal' | 'lognormal' | 'heavy';

/** level(i) * exp(cv * e_i), e standardized (sd 1): the shape of the labelled bench, in small. */
function series(n: number, logLevel: (i: number) => number, cv: number, seed: number, noise: Noise = 'gaussian', backendAt: (i: number) => string = () => 'webgpu'): SeriesPoint[] {
  const r = seededRandom(seed);
  const gap = Math.sqrt((1 - 0.15 ** 2) / 0.25);
  return Array.from({ length: n }, (_, i) => {
    const skewed = (): number => (Math.exp(0.8 * gaussian(r)) - Math.exp(0.32)) / Math.sqrt((Math.exp(0.64) - 1) * Math.exp(0.64));
    // Student t with 3 degrees of freedom (variance 3), scaled to sd 1: rare points many sds out.
    const heavy = (): number => gaussian(r) / Math.sqrt((gaussian(r) ** 2 + gaussian(r) ** 2 + gaussian(r) ** 2) / 3) / Math.sqrt(3);
    const bimodal = (): number => ((r() < 0.5 ? 1 : 0) - 0.5) * gap + 0.15 * gaussian(r);
    const e = noise === 'gaussian' ? gaussian(r) : noise === 'lognormal' ? skewed() : noise === 'heavy' ? heavy() : bimodal();
    const backend = backendAt(i);
    return { at: i * 3_600_000, value: 10 * Math.exp(logLevel(i) + cv * e), backend, adapter: backend === 'webgpu' ? 'ampere' : undefined, isRealHardware: true };
  });
}

const kinds = (ds: Detection[]): [string, number][] => ds.map((d) => [d.kind, d.index]);

describe('detectFindings: drift', () => {
  it('reports a creeping slowdown once, as a drift with its slope, total and start, and no steps', () => {
    for (const seed of [1, 2, 3]) {
      // +30 % over 150 points starting at point 50, 3 % noise: a staircase for step detectors.
      const found = detectFindings(series(200, (i) => (i < 50 ? 0 : (Math.log(1.3) * (i - 50)) / 149), 0.03, seed), 'webgpu', 'latency');
      expect(found).toHaveLength(1);
      const [d] = found;
      expect(d!.kind).toBe('drift');
      expect(d!.changePct).toBeGreaterThan(0.22);
      expect(d!.changePct).toBeLessThan(0.38);
      expect(d!.index).toBeGreaterThanOrEqual(30);
      expect(d!.index).toBeLessThanOrEqual(70);
      expect(d!.endIndex).toBe(200);
      expect(d!.slope!.perPoint).toBeCloseTo(Math.log(1.3) / 149, 3);
      expect(d!.slope!.perDay).toBeGreaterThan(0);
      expect(d!.interval![0]).toBeLessThan(d!.changePct);
      expect(d!.interval![1]).toBeGreaterThan(d!.changePct);
    }
  });

  it('reports a creep over 60 or 20 points as one drift, hardly ever as steps that all go up (4 steps in 200 series; 15 before)', () => {
    let drifts = 0;
    let steps = 0;
    for (const [n, sds] of [
      [60, 6],
      [20, 9],
    ] as const) {
      for (let seed = 1; seed <= 100; seed++) {
        // From a point in the first 40 % to the end, `sds` noise sds in all (the labelled bench's drift).
        const start = seed % Math.round(0.4 * n);
        const found = detectFindings(series(n, (i) => (i < start ? 0 : (sds * 0.05 * (i - start)) / (n - 1 - start)), 0.05, 6000 + seed), 'webgpu', 'latency');
        drifts += found.length === 1 && found[0]!.kind === 'drift' ? 1 : 0;
        steps += found.filter((d) => d.kind === 'regression').length;
      }
    }
    expect(steps).toBeLessThanOrEqual(6);
    // 195 of 200 (190 before).
    expect(drifts).toBeGreaterThanOrEqual(192);
  });

  it('reports a creep of so many MB or ms per point (a line in the values, not in their logs) as one drift with its total', () => {
    // A leak of 1 MB per window from 64 MB (4.1x over 200 points) and latency growing 10 -> 20 ms over 60 points: a
    // concave curve in the logs. Before a line in the values joined the drift shapes, 2 of these 20 read as one drift
    // of about their size (without noise, the leak read as 8 step regressions and the 60-point creep as nothing).
    let drifts = 0;
    for (let seed = 1; seed <= 10; seed++) {
      const leak = detectFindings(series(200, (i) => Math.log((64 + i) / 64), 0.02, 7000 + seed), 'webgpu', 'memory');
      const creep = detectFindings(series(60, (i) => Math.log(1 + i / 60), 0.02, 7100 + seed), 'webgpu', 'latency');
      for (const [found, total] of [
        [leak, 263 / 64 - 1],
        [creep, 59 / 60],
      ] as const) {
        const ok = found.length === 1 && found[0]!.kind === 'drift' && Math.abs(found[0]!.changePct - total) < 0.15 * total;
        drifts += ok ? 1 : 0;
      }
    }
    expect(drifts).toBe(20);
  });

  it('reports a 20-point creep of 6 sds that a line fits far better than a step as a drift, though its two pieces show little trend of their own', () => {
    let drifts = 0;
    for (let seed = 1; seed <= 400; seed++) {
      const r = seededRandom(90_000 + seed);
      const start = Math.floor(8 * r());
      const found = detectFindings(series(20, (i) => (i < start ? 0 : (6 * 0.05 * (i - start)) / (20 - start)), 0.05, 91_000 + seed), 'webgpu', 'latency');
      drifts += found.length === 1 && found[0]!.kind === 'drift' ? 1 : 0;
    }
    // 300 of 400; 289 when a single cut's pieces had to show the trend too (Spearman z above 2, Stouffer-combined).
    expect(drifts).toBeGreaterThanOrEqual(297);
  });
});

describe('detectFindings: environment changes', () => {
  const onWasm = (from: number, to: number) => (i: number) => (i >= from && i < to ? 'wasm' : 'webgpu');
  const slower = (from: number, to: number) => (i: number) => (i >= from && i < to ? Math.log(2.5) : 0);

  it('sizes a browser update or a fallback in the middle of a creep net of the creep: the update is not blamed for it', () => {
    for (let seed = 1; seed <= 5; seed++) {
      // +35 % over 200 points, 2 % noise; the browser updated at point 100 (no effect of its own).
      const creep = series(200, (i) => (0.3 * i) / 200, 0.02, 9300 + seed).map((p, i) => ({ ...p, browserVersion: i < 100 ? '130' : '131' }));
      const update = detectFindings(creep, 'webgpu', 'latency').find((d) => d.kind === 'browser_version')!;
      // Compared as they were, the two sides' points differed by the creep between them: +15.6 % on a first try.
      expect(Math.abs(update.changePct)).toBeLessThan(0.03);
      expect(update.detail).toContain('sized net of the drift');
      // Points 120-139 on WASM, 2.5x slower (+150 %), in the middle of the same creep.
      const fallback = detectFindings(series(200, (i) => (0.3 * i) / 200 + (i >= 120 && i < 140 ? Math.log(2.5) : 0), 0.02, 9400 + seed, 'gaussian', onWasm(120, 140)), 'webgpu', 'latency').find((d) => d.kind === 'backend_fallback')!;
      expect(fallback.changePct).toBeGreaterThan(1.4);
      expect(fallback.changePct).toBeLessThan(1.6);
    }
  });

  it('reports a fallback at index 0 as an environment change, never as a code change', () => {
    const found = detectFindings(series(60, slower(0, 12), 0.03, 7, 'gaussian', onWasm(0, 12)), 'webgpu', 'latency');
    expect(kinds(found)).toEqual([['backend_fallback', 0]]);
    expect(found[0]!.endIndex).toBe(12);
    expect(found[0]!.changePct).toBeCloseTo(1.5, 0);
    expect(found[0]!.evidence).toEqual({ before: [12, 60], after: [0, 12] });
  });

  it('reports a fallback in the middle and at the end where it starts, once each', () => {
    expect(kinds(detectFindings(series(60, slower(25, 37), 0.03, 8, 'gaussian', onWasm(25, 37)), 'webgpu', 'latency'))).toEqual([['backend_fallback', 25]]);
    expect(kinds(detectFindings(series(60, slower(48, 60), 0.03, 9, 'gaussian', onWasm(48, 60)), 'webgpu', 'latency'))).toEqual([['backend_fallback', 48]]);
  });

  it('reports an intermittent fallback (a flaky backend) once over its window, sized on its fallback points; fallbacks 6+ points apart stay apart', () => {
    // Points 40-99 fall back on every third point and on 70-72; 150-153 fall back much later.
    const flaky = (i: number): boolean => (i >= 40 && i < 100 && i % 3 === 1) || (i >= 70 && i < 73) || (i >= 150 && i < 154);
    const points = series(200, (i) => (flaky(i) ? Math.log(2.5) : 0), 0.03, 16, 'gaussian', (i) => (flaky(i) ? 'wasm' : 'webgpu'));
    const found = detectFindings(points, 'webgpu', 'latency');
    expect(found.map((d) => [d.kind, d.index, d.endIndex])).toEqual([
      ['backend_fallback', 40, 98],
      ['backend_fallback', 150, 154],
    ]);
    expect(found[0]!.detail).toMatch(/^points 40-97: intermittent fallback, 19 times to wasm instead of webgpu \(22 of 58 points/);
    // 2.5x on the fallback points (exp(0.03 e) noise): +150 %, its interval around it and narrow.
    const { changePct, interval } = found[0]!;
    expect(Math.abs(changePct - 1.5)).toBeLessThan(0.1);
    expect(interval![0]).toBeLessThan(changePct);
    expect(interval![1]).toBeGreaterThan(changePct);
    expect(interval![1] - interval![0]).toBeLessThan(0.2);
    expect(found[0]!.evidence).toEqual({ before: [0, 40], after: [40, 98] });
  });

  it('finds a code change made while the series ran elsewhere, on the points either side of the fallback, and within a flaky window', () => {
    // WASM on 40-54 (2.5x); commit at 48 makes everything 30 % slower. Each WebGPU stretch alone is flat: before the
    // stretches of one environment were joined, nothing but the fallback was reported.
    const during = detectFindings(series(100, (i) => slower(40, 55)(i) + (i >= 48 ? Math.log(1.3) : 0), 0.03, 21, 'gaussian', onWasm(40, 55)), 'webgpu', 'latency');
    // Found on the WebGPU points (30 % up between 39 and 55) and on the WASM ones (at 48): one change, one finding,
    // sized and evidenced on the WebGPU points (the most compared), placed where both agree: after 47, at 48.
    expect(kinds(during)).toEqual([['backend_fallback', 40], ['regression', 48]]);
    const merged = during[1]!;
    expect(merged.changePct).toBeCloseTo(0.3, 1);
    expect(merged.changeAfter).toBe(47);
    expect(merged.evidence!.points!.before.at(-1)).toBe(39);
    expect(merged.evidence!.points!.after[0]).toBe(55);
    expect(merged.detail).toContain('webgpu on ampere only');
    expect(merged.detail).toMatch(/the same change is \+\d+\.\d % \(95 % interval .*\) on wasm/);
    // A step inside a window where every third point falls back: found on the WebGPU points at its place.
    const flaky = (i: number): boolean => i >= 30 && i < 150 && i % 3 === 1;
    const step = detectFindings(series(200, (i) => (flaky(i) ? Math.log(2.5) : 0) + (i >= 90 ? Math.log(1.2) : 0), 0.03, 22, 'gaussian', (i) => (flaky(i) ? 'wasm' : 'webgpu')), 'webgpu', 'latency');
    expect(step.filter((d) => d.kind === 'regression').map((d) => Math.abs(d.index - 90) <= 2)).toContain(true);
    expect(step.filter((d) => d.kind === 'backend_fallback')).toHaveLength(1);
  });

  it('reports browser versions that change with every run (nightlies) as one environment finding, and a code change among them with its caveat', () => {
    // Before, every new version was a finding (199 in 200 points) and no stretch was long enough to search.
    const nightly = series(200, (i) => (i >= 120 ? Math.log(1.3) : 0), 0.03, 24).map((p, i) => ({ ...p, browserVersion: `131.0.${i}` }));
    const found = detectFindings(nightly, 'webgpu', 'latency');
    expect(kinds(found)).toEqual([['browser_version', 0], ['regression', 120]]);
    expect(found[0]!.detail).toContain('changed 199 times among 200 adapters or browser versions');
    expect(found[0]!.changePct).toBeNaN();
    expect(found[1]!.changePct).toBeCloseTo(0.3, 1);
    expect(found[1]!.detail).toContain('across 200 adapters or browser versions that each held fewer than 6 points (the change may be theirs)');
    // A stable version, then nightlies: one finding where they start, sized against the stable one up to the code change.
    const mixed = nightly.map((p, i) => ({ ...p, browserVersion: i < 100 ? '130.0.1' : p.browserVersion, value: p.value * (i >= 150 ? 1.3 : 1) / (i >= 120 ? 1.3 : 1) }));
    const both = detectFindings(mixed, 'webgpu', 'latency');
    expect(kinds(both)).toEqual([['browser_version', 100], ['regression', 150]]);
    expect(both[0]!.detail).toContain('against 100 on webgpu on ampere, browser 130.0.1, up to the code change at point 150');
    expect(Math.abs(both[0]!.changePct)).toBeLessThan(0.02);
  });

  it('reports two hosts with different GPUs feeding one series in turn as one environment finding, and a code change both show as one finding', () => {
    const random = seededRandom(31);
    const host = Array.from({ length: 120 }, () => (random() < 0.5 ? 'turing' : 'ampere'));
    const host2 = Array.from({ length: 160 }, () => (random() < 0.5 ? 'turing' : 'ampere'));
    const points = series(120, (i) => (host[i] === 'turing' ? Math.log(1.5) : 0) + (i >= 80 ? Math.log(1.3) : 0), 0.03, 23).map((p, i) => ({ ...p, adapter: host[i] }));
    const found = detectFindings(points, 'webgpu', 'latency');
    const switches = host.filter((h, i) => i > 0 && h !== host[i - 1]).length;
    expect(found.filter((d) => d.kind === 'adapter_change')).toHaveLength(1);
    expect(found.find((d) => d.kind === 'adapter_change')!.detail).toContain(`${switches} times (sized on`);
    // Found on each host's points, each placing it between its own points either side of 80: one finding, placed
    // where both agree (before, one per host, each with a wider commit range).
    const steps = found.filter((d) => d.kind === 'regression');
    expect(steps).toHaveLength(1);
    expect(steps[0]!.index).toBe(80);
    expect(steps[0]!.changeAfter).toBe(79);
    expect(steps[0]!.changePct).toBeCloseTo(0.3, 1);
    expect(steps[0]!.detail).toMatch(/on webgpu on (ampere|turing) only; the same change is \+\d+\.\d % .* on webgpu on (turing|ampere)/);
    // A change on one host only (a driver update there, 20 % at 100) is not drawn into the one both show at 50.
    const own = series(160, (i) => (host2[i] === 'turing' ? Math.log(1.5) : 0) + (i >= 50 ? Math.log(1.3) : 0) + (i >= 100 && host2[i] === 'turing' ? Math.log(1.2) : 0), 0.03, 25).map((p, i) => ({ ...p, adapter: host2[i] }));
    const both = detectFindings(own, 'webgpu', 'latency').filter((d) => d.kind === 'regression');
    expect(both.map((d) => [d.index, d.changeAfter])).toEqual([[50, 49], [host2.indexOf('turing', 100), undefined]]);
    expect(both[1]!.detail).toContain('webgpu on turing only');
    expect(both[1]!.changePct).toBeCloseTo(0.2, 1);
  });
});

describe('detectFindings: short series', () => {
  it('finds a step of 3 noise sds mid-series in 20 points 34 times in 40 (theory: 95 % from 2.8 sd)', () => {
    expect(smallestDetectableStep(20, 0.05).sigmas).toBeCloseTo(2.78, 1);
    let hits = 0;
    let wrong = 0;
    for (let seed = 1; seed <= 40; seed++) {
      const found = detectFindings(series(20, (i) => (i >= 10 ? 3 * 0.05 : 0), 0.05, seed), 'webgpu', 'latency');
      hits += found.some((d) => d.kind === 'regression' && Math.abs(d.index - 10) <= 2) ? 1 : 0;
      wrong += found.filter((d) => !(d.kind === 'regression' && Math.abs(d.index - 10) <= 2)).length;
    }
    expect(hits).toBeGreaterThanOrEqual(34);
    expect(wrong).toBeLessThanOrEqual(2);
  });

  it('finds a regression fixed 5-10 points later in 20 points, both changes at their place (2 sd: 9 of 40, 3 before the calibrated box; 3 sd: 25, 22 before)', () => {
    const boxesFound = (sds: number): number => {
      let both = 0;
      for (let seed = 1; seed <= 40; seed++) {
        const [lo, hi] = [5 + (seed % 3), 12 + (seed % 4)];
        const found = detectFindings(series(20, (i) => (i >= lo && i < hi ? sds * 0.05 : 0), 0.05, 700 + seed), 'webgpu', 'latency');
        const placed = found.length === 2 && Math.abs(found[0]!.index - lo) <= 2 && Math.abs(found[1]!.index - hi) <= 2;
        both += placed && found[0]!.kind === 'regression' && found[1]!.kind === 'improvement' ? 1 : 0;
      }
      return both;
    };
    expect(boxesFound(2)).toBeGreaterThanOrEqual(8);
    expect(boxesFound(3)).toBeGreaterThanOrEqual(24);
  });

  it('raises no more alarms on a one-cycle wave in 20 points for the box test: half a wave is a box too (73 of 200 series, 74 before)', () => {
    let alarmed = 0;
    for (let seed = 1; seed <= 200; seed++) {
      const r = seededRandom(90_000 + seed);
      const [period, phase] = [20 * (0.8 + 0.4 * r()), 2 * Math.PI * r()];
      const found = detectFindings(series(20, (i) => 1.5 * 0.05 * Math.sin((2 * Math.PI * i) / period + phase), 0.05, 3000 + seed), 'webgpu', 'latency');
      alarmed += found.length > 0 ? 1 : 0;
    }
    expect(alarmed).toBeLessThanOrEqual(74);
  });

  it('spends at most the 1 % false-alarm budget on 20-point series without a change', () => {
    let alarmed = 0;
    for (let seed = 1; seed <= 400; seed++) {
      const found = detectFindings(series(20, () => 0, 0.05, 1000 + seed), 'webgpu', 'latency');
      alarmed += found.some((d) => d.kind === 'regression' || d.kind === 'drift') ? 1 : 0;
    }
    // 1 % of 400 is 4; 8 would be 2 %, outside what a 1 % rate gives with 99 % probability.
    expect(alarmed).toBeLessThanOrEqual(8);
  });

  it('states the smallest detectable step by length, noise and points after the change', () => {
    const at = (n: number, after?: number): number => smallestDetectableStep(n, 0.05, after).sigmas;
    expect(at(10)).toBeGreaterThan(at(20));
    expect(at(20)).toBeGreaterThan(at(60));
    expect(at(60)).toBeGreaterThan(at(200));
    expect(at(20, 5)).toBeGreaterThan(at(20));
    expect(at(20, 2)).toBe(Infinity);
    expect(smallestDetectableStep(200, 0.01).relative).toBe(0.02);
  });
});

describe('detectFindings: noise shapes and what is not a change', () => {
  it('raises nothing on bimodal (cache hit/miss) noise without a change, and finds a 3 sd step in it', () => {
    let alarms = 0;
    for (let seed = 1; seed <= 40; seed++) {
      alarms += detectFindings(series(60, () => 0, 0.05, seed, 'bimodal'), 'webgpu', 'latency').length;
    }
    expect(alarms).toBe(0);
    let hits = 0;
    for (let seed = 1; seed <= 20; seed++) {
      const found = detectFindings(series(60, (i) => (i >= 30 ? 3 * 0.05 : 0), 0.05, seed, 'bimodal'), 'webgpu', 'latency');
      hits += found.some((d) => d.kind === 'regression' && Math.abs(d.index - 30) <= 3) ? 1 : 0;
    }
    expect(hits).toBeGreaterThanOrEqual(18);
  });

  it('finds a step as large as the gap between the modes of 50/50 hit/miss noise at its place (38 of 40 seeds; 26 when medians sized it)', () => {
    let hits = 0;
    let wrong = 0;
    for (let seed = 1; seed <= 40; seed++) {
      const found = detectFindings(series(60, (i) => (i >= 30 ? 2 * 0.05 : 0), 0.05, seed, 'bimodal'), 'webgpu', 'latency');
      hits += found.some((d) => d.kind === 'regression' && Math.abs(d.index - 30) <= 3) ? 1 : 0;
      wrong += found.filter((d) => !(d.kind === 'regression' && Math.abs(d.index - 30) <= 3)).length;
    }
    expect(hits).toBeGreaterThanOrEqual(34);
    expect(wrong).toBeLessThanOrEqual(2);
  });

  it('does not alarm on a wave whose period is close to a 200-point series', () => {
    let alarms = 0;
    for (let seed = 1; seed <= 20; seed++) {
      const period = 180 + seed * 2;
      alarms += detectFindings(series(200, (i) => 1.5 * 0.04 * Math.sin((2 * Math.PI * i) / period + seed), 0.04, seed), 'webgpu', 'latency').filter(
        (d) => d.kind === 'regression' || d.kind === 'drift',
      ).length;
    }
    expect(alarms).toBeLessThanOrEqual(1);
  });

  it('ignores warm-up (slow first runs) and reports an improvement as an improvement, with an interval around it', () => {
    const warm = [3, 2, 1.5, 1.25];
    expect(detectFindings(series(60, (i) => Math.log(warm[i] ?? 1), 0.03, 11), 'webgpu', 'latency')).toEqual([]);
    const found = detectFindings(series(60, (i) => (i >= 30 ? Math.log(0.8) : 0), 0.03, 12), 'webgpu', 'latency');
    expect(kinds(found)).toEqual([['improvement', 30]]);
    expect(found[0]!.changePct).toBeCloseTo(-0.2, 1);
    expect(found[0]!.interval![0]).toBeLessThan(-0.2);
    expect(found[0]!.interval![1]).toBeGreaterThan(-0.2);
    expect(found[0]!.evidence).toEqual({ before: [0, 30], after: [30, 60] });
  });

  it('sets a warm-up aside in throughput too (its first points are lower there) and reads throughput as the mirror of latency', () => {
    // Before throughput was analysed negated, its warm-up was reported as an improvement of about +100 % at the third
    // to fifth point in 76-102 of 100 series like these.
    const warm = [3, 2, 1.5, 1.25];
    let found = 0;
    for (const n of [20, 60, 200]) {
      for (let seed = 1; seed <= 10; seed++) {
        const at = Math.round(0.6 * n);
        const latency = series(n, (i) => Math.log(warm[i] ?? 1) + (i >= at ? 4 * 0.03 : 0), 0.03, 500 + 10 * n + seed);
        const throughput = latency.map((p) => ({ ...p, value: 1000 / p.value }));
        const slower = detectFindings(latency, 'webgpu', 'latency');
        const fewer = detectFindings(throughput, 'webgpu', 'throughput');
        expect(kinds(fewer)).toEqual(kinds(slower));
        expect(fewer.every((d) => d.index >= 5)).toBe(true);
        fewer.forEach((d, j) => expect(d.changePct).toBeCloseTo(1 / (1 + slower[j]!.changePct) - 1, 2));
        found += fewer.some((d) => d.kind === 'regression' && Math.abs(d.index - at) <= 2) ? 1 : 0;
      }
    }
    // 28 of 30: at 20 points the 4 sd step (8 points after it) is missed twice, in latency as in throughput.
    expect(found).toBeGreaterThanOrEqual(27);
  });

  it('analyses a throughput that is a constant over latency once (the memo), with the same findings as analysed afresh, and never reuses an analysis of other values', () => {
    for (let seed = 1; seed <= 10; seed++) {
      const latency = series(200, (i) => (i >= 80 ? 0.15 : 0) + (i >= 150 ? -0.1 : 0), 0.04, 800 + seed, 'lognormal', (i) => (i < 20 ? 'wasm' : 'webgpu'));
      const throughput = latency.map((p) => ({ ...p, value: 4000 / p.value }));
      const memo: StretchMemo = new Map();
      expect(detectFindings(latency, 'webgpu', 'latency', { memo })).toEqual(detectFindings(latency, 'webgpu', 'latency'));
      const held = [...memo.values()].map((m) => m.events);
      const shared = detectFindings(throughput, 'webgpu', 'throughput', { memo });
      expect(shared).toEqual(detectFindings(throughput, 'webgpu', 'throughput'));
      expect(shared.map((d) => d.kind)).toContain('regression');
      // Reused, not analysed again: the memo still holds the very event lists latency's analysis put there.
      expect([...memo.values()].map((m) => m.events)).toEqual(held);
      [...memo.values()].forEach((m, j) => expect(m.events).toBe(held[j]));
      // Another series' values under the same keys (not a shift of these): analysed afresh, not read from the memo.
      const other = series(200, (i) => (i >= 120 ? 0.2 : 0), 0.04, 900 + seed, 'lognormal', (i) => (i < 20 ? 'wasm' : 'webgpu'));
      expect(detectFindings(other, 'webgpu', 'latency', { memo })).toEqual(detectFindings(other, 'webgpu', 'latency'));
    }
  });

  it('tells an early improvement (one level, then down) from a warm-up (fading first runs) in 20 points', () => {
    // 5 noise sds down after 5 to 7 points: one level before it, so not warm-up (17 of these 20 found; 2 when every
    // first change down within 5 points of a slow start was taken for warm-up).
    let improvements = 0;
    let warmUps = 0;
    for (let seed = 0; seed < 20; seed++) {
      const at = 5 + (seed % 3);
      const found = detectFindings(series(20, (i) => (i >= at ? -5 * 0.03 : 0), 0.03, 300 + seed), 'webgpu', 'latency');
      improvements += found.length === 1 && found[0]!.kind === 'improvement' && Math.abs(found[0]!.index - at) <= 1 ? 1 : 0;
      // A warm-up 3x, 2x, 1.5x then flat: still set aside, nothing reported.
      const warm = [3, 2, 1.5];
      warmUps += detectFindings(series(20, (i) => Math.log(warm[i] ?? 1), 0.03, 400 + seed), 'webgpu', 'latency').length === 0 ? 1 : 0;
    }
    expect(improvements).toBeGreaterThanOrEqual(16);
    expect(warmUps).toBeGreaterThanOrEqual(19);
  });

  it('still finds a regression with one absurd value in the series (1e308 ms, 1e-300 ms, Infinity: each hid it before)', () => {
    for (const absurd of [1e308, 1e-300, Infinity]) {
      for (const at of [10, 50]) {
        const points = series(60, (i) => (i >= 40 ? Math.log(1.3) : 0), 0.03, 15).map((p, i) => (i === at ? { ...p, value: absurd } : p));
        expect(kinds(detectFindings(points, 'webgpu', 'latency')), `${absurd} at ${at}`).toEqual([['regression', 40]]);
      }
    }
  });

  it('reports a regression, its fix and a revert as three steps', () => {
    const level = (i: number): number => (i >= 50 && i < 100 ? 0.15 : i >= 150 ? 0.15 : 0);
    const found = detectFindings(series(200, level, 0.03, 13), 'webgpu', 'latency');
    expect(found.map((d) => d.kind)).toEqual(['regression', 'improvement', 'regression']);
    found.forEach((d, j) => expect(Math.abs(d.index - [50, 100, 150][j]!)).toBeLessThanOrEqual(2));
  });

  /** Of 40 seeds, how many give exactly a regression at 15, its fix at 30 and a revert at 45 (each within 2 points). */
  const regressionFixRevertFound = (sds: number): number => {
    let found3 = 0;
    for (let seed = 1; seed <= 40; seed++) {
      const found = detectFindings(series(60, (i) => ((i >= 15 && i < 30) || i >= 45 ? sds * 0.05 : 0), 0.05, 500 + seed), 'webgpu', 'latency');
      const placed = found.every((d, j) => Math.abs(d.index - [15, 30, 45][j]!) <= 2);
      found3 += found.map((d) => d.kind).join() === 'regression,improvement,regression' && placed ? 1 : 0;
    }
    return found3;
  };

  it('reports a regression, its fix and a revert 15 points apart in 60 points as three steps, not as a wave (36 of 40 seeds at 2.5 sd; 30 when a wave of the shortest period took them)', () => {
    expect(regressionFixRevertFound(2.5)).toBeGreaterThanOrEqual(34);
  });

  it('reports a regression, its fix and a revert at 2 noise sds in 60 points as three steps (26 of 40 seeds; 19 before the alternation search)', () => {
    expect(regressionFixRevertFound(2)).toBeGreaterThanOrEqual(24);
  });

  it('reads throughput the other way round: a drop is the regression', () => {
    const found = detectFindings(series(60, (i) => (i >= 30 ? Math.log(0.7) : 0), 0.03, 14), 'webgpu', 'throughput');
    expect(kinds(found)).toEqual([['regression', 30]]);
  });
});

describe('detectFindings: long series (searched on block medians, placed on the full series)', () => {
  it('places a step in 1000 points within 2 points, stays silent on noise and reports a drift once', () => {
    const step = detectFindings(series(1000, (i) => (i >= 700 ? Math.log(1.1) : 0), 0.05, 21), 'webgpu', 'latency');
    expect(step.map((d) => d.kind)).toEqual(['regression']);
    expect(Math.abs(step[0]!.index - 700)).toBeLessThanOrEqual(2);
    expect(step[0]!.changePct).toBeCloseTo(0.1, 1);
    for (let seed = 30; seed < 40; seed++) {
      expect(detectFindings(series(1000, () => 0, 0.05, seed), 'webgpu', 'latency')).toEqual([]);
    }
    const drift = detectFindings(series(1000, (i) => (Math.log(1.25) * i) / 999, 0.05, 22), 'webgpu', 'latency');
    expect(drift.map((d) => d.kind)).toEqual(['drift']);
    expect(drift[0]!.changePct).toBeGreaterThan(0.18);
    expect(drift[0]!.changePct).toBeLessThan(0.32);
  });
});

describe('detectFindings: each family of the labelled bench, in small', () => {
  it('reports a late, large drift (flat for 70 points, then +40 % over 130) as one drift, not steps', () => {
    for (const seed of [41, 42]) {
      const found = detectFindings(series(200, (i) => (i < 70 ? 0 : (Math.log(1.4) * (i - 70)) / 129), 0.03, seed), 'webgpu', 'latency');
      expect(found.map((d) => d.kind)).toEqual(['drift']);
      expect(Math.abs(found[0]!.index - 70)).toBeLessThanOrEqual(20);
      expect(found[0]!.changePct).toBeGreaterThan(0.3);
    }
  });

  it('reports a steep 20-point drift whose noise a wave plus a line follows better than a line: the wave must come back', () => {
    // A labelled-bench drift (from point 1, 15 noise sds in all, 10 % noise), in noise sds: a sine of the series'
    // length plus a line beat the line by 10 BIC units, so it was taken for seasonality and nothing was reported.
    const sds = [-1.0, -0.3, 0.3, 0.9, 1.4, 2.1, 5.3, 4.1, 6.2, 8.4, 8.6, 8.7, 10.0, 9.9, 11.1, 12.2, 11.7, 13.2, 13.2, 14.6];
    const points = sds.map((z, i): SeriesPoint => ({ at: i * 3_600_000, value: 10 * Math.exp(0.1 * z), backend: 'webgpu', adapter: 'ampere', isRealHardware: true }));
    const found = detectFindings(points, 'webgpu', 'latency');
    expect(found.map((d) => d.kind)).toEqual(['drift']);
    expect(found[0]!.changePct).toBeGreaterThan(2);
  });

  it('raises nothing on a 120-point wave of period 0.8-1.2x the series and finds a 5 sd step on top of one at its place', () => {
    let alarms = 0;
    let hits = 0;
    for (let seed = 1; seed <= 10; seed++) {
      const wave = (i: number): number => 1.5 * 0.04 * Math.sin((2 * Math.PI * i) / (96 + 4.8 * seed) + seed);
      alarms += detectFindings(series(120, wave, 0.04, 100 + seed), 'webgpu', 'latency').length;
      const stepped = detectFindings(series(120, (i) => wave(i) + (i >= 70 ? 5 * 0.04 : 0), 0.04, 200 + seed), 'webgpu', 'latency');
      hits += stepped.some((d) => d.kind === 'regression' && Math.abs(d.index - 70) <= 3) ? 1 : 0;
    }
    expect(alarms).toBeLessThanOrEqual(1);
    expect(hits).toBeGreaterThanOrEqual(9);
  });

  /** A 1.5 sd wave of period 0.8-1.2x 200 points (5 % noise), plus a step of k sds at a point drawn in 40-159: its draws from `seed`. */
  const waveWithStep = (seed: number, k: number): { points: SeriesPoint[]; at: number } => {
    const r = seededRandom(70_000 + seed);
    const [period, phase, at] = [200 * (0.8 + 0.4 * r()), 2 * Math.PI * r(), 40 + Math.floor(120 * r())];
    const z = (i: number): number => 1.5 * Math.sin((2 * Math.PI * i) / period + phase) + (i >= at ? k : 0) + gaussian(r);
    return { points: Array.from({ length: 200 }, (_, i) => ({ at: i * 3_600_000, value: 10 * Math.exp(0.05 * z(i)), backend: 'webgpu', adapter: 'ampere', isRealHardware: true })), at };
  };

  it('reads a wave as a wave, not as three or more steps with runs in one direction, and three real regressions in a row as three steps', () => {
    // Of 3000 seeds each, the series where a wave's staircase or box gave way to the wave: without a step, 3 (2-4
    // steps before, now nothing); with a 2 sd step, 10 (3 of those below: 3-5 false steps beside the true one before;
    // in 3 of the 10 the true step went, or moved 11 points, with its false neighbours).
    for (const seed of [608, 1660]) {
      expect(detectFindings(waveWithStep(seed, 0).points, 'webgpu', 'latency')).toEqual([]);
    }
    for (const seed of [704, 1364, 1790]) {
      const { points, at } = waveWithStep(seed, 2);
      const found = detectFindings(points, 'webgpu', 'latency');
      expect(found.map((d) => d.kind)).toEqual(['regression']);
      expect(Math.abs(found[0]!.index - at)).toBeLessThanOrEqual(2);
    }
    // A real staircase is flat between its steps, which a wave is not: three 3 sd regressions in a row are found exactly
    // in 38 of these 40 series (on 40 other seeds: 38 at 3 sd and 26 at 2 sd, with the rule and without it).
    let exact = 0;
    for (let seed = 1; seed <= 40; seed++) {
      const found = detectFindings(series(200, (i) => 3 * 0.05 * ((i >= 50 ? 1 : 0) + (i >= 100 ? 1 : 0) + (i >= 150 ? 1 : 0)), 0.05, 4000 + seed), 'webgpu', 'latency');
      exact += found.length === 3 && found.every((d, j) => d.kind === 'regression' && Math.abs(d.index - 50 * (j + 1)) <= 2) ? 1 : 0;
    }
    expect(exact).toBeGreaterThanOrEqual(37);
  });

  it('reports a 3 sd step on a 200-point wave once, at its place, not as a staircase of steps up and down', () => {
    let exact = 0;
    for (let seed = 1; seed <= 10; seed++) {
      const wave = (i: number): number => 1.5 * 0.04 * Math.sin((2 * Math.PI * i) / (160 + 8 * seed) + seed);
      const at = 60 + 8 * seed;
      const found = detectFindings(series(200, (i) => wave(i) + (i >= at ? 3 * 0.04 : 0), 0.04, 400 + seed), 'webgpu', 'latency');
      exact += found.length === 1 && found[0]!.kind === 'regression' && Math.abs(found[0]!.index - at) <= 3 ? 1 : 0;
    }
    expect(exact).toBeGreaterThanOrEqual(9);
  });

  it('finds a 2 sd step on a 200-point wave that the wave alone explained away (wave-plus-step test), and raises nothing on the waves alone', () => {
    let hits = 0;
    let alarms = 0;
    for (let seed = 1; seed <= 20; seed++) {
      const wave = (i: number): number => 1.5 * 0.04 * Math.sin((2 * Math.PI * i) / (160 + 4 * seed) + seed);
      const at = 70 + 3 * seed;
      const found = detectFindings(series(200, (i) => wave(i) + (i >= at ? 2 * 0.04 : 0), 0.04, 600 + seed), 'webgpu', 'latency');
      hits += found.some((d) => d.kind === 'regression' && Math.abs(d.index - at) <= 3) ? 1 : 0;
      alarms += detectFindings(series(200, wave, 0.04, 700 + seed), 'webgpu', 'latency').filter((d) => d.kind === 'regression' || d.kind === 'drift').length;
    }
    // 11 of 20 before the test, where a step had to beat the wave by BIC.
    expect(hits).toBeGreaterThanOrEqual(14);
    expect(alarms).toBeLessThanOrEqual(1);
  });

  it('sizes a step found on a wave net of the wave: a 2 sd regression reads as a regression of about its size, with an interval that holds it', () => {
    const truth = Math.expm1(2 * 0.04);
    let found = 0;
    let sized = 0;
    for (let seed = 1; seed <= 20; seed++) {
      const wave = (i: number): number => 1.5 * 0.04 * Math.sin((2 * Math.PI * i) / (160 + 4 * seed) + seed);
      const at = 70 + 3 * seed;
      const step = detectFindings(series(200, (i) => wave(i) + (i >= at ? 2 * 0.04 : 0), 0.04, 600 + seed), 'webgpu', 'latency').find((d) => Math.abs(d.index - at) <= 3);
      if (step?.detail.includes('net of the wave') === true) {
        found++;
        sized += step.kind === 'regression' && step.interval![0] <= truth && truth <= step.interval![1] ? 1 : 0;
      }
    }
    // 15 and 14 here. Sized by the points either side, as other steps are, 5 of the 11 found at their place then read
    // 0.7-18 % for 8.3 %, with intervals that missed it (the wave's rise or fall between those points).
    expect(found).toBeGreaterThanOrEqual(14);
    expect(sized).toBeGreaterThanOrEqual(found - 1);
  });

  it('sizes steps net of a wave that stands beside them, even a wave the pieces either side of a cut absorb: a 2 sd regression is not read as an improvement', () => {
    // Of 3000 seeds of 1.5 sd waves with a 2 sd step (+10.5 %), 2331 found the step at its place. Where the wave's F
    // over the pieces' own levels (`waveF`) stayed below the old sizing screen, the steps were sized on the 60 points
    // either side: 7 read as improvements of 0.0-1.9 % (these seeds), and 2200 intervals held the truth. Screened by
    // a wave fitted with the steps (`waveOverStepsF`) and sized net of it: no improvement, 2288 intervals hold it (at
    // 0.75 sd waves: 1645 -> 2209 of 2554).
    const truth = Math.expm1(2 * 0.05);
    for (const seed of [619, 977, 1452, 1499, 1660, 1734, 2548]) {
      const { points, at } = waveWithStep(seed, 2);
      const found = detectFindings(points, 'webgpu', 'latency');
      expect(found.map((d) => d.kind)).toEqual(['regression']);
      expect(Math.abs(found[0]!.index - at)).toBeLessThanOrEqual(2);
      expect(found[0]!.interval![0]).toBeLessThanOrEqual(truth);
      expect(found[0]!.interval![1]).toBeGreaterThanOrEqual(truth);
      expect(found[0]!.detail).toContain('net of the wave');
    }
  });

  it('reports a step on a noiseless wave as what it is: +10.5 % at its place, not the -4.8 % improvement the points either side show', () => {
    const points = Array.from({ length: 200 }, (_, i) => ({
      at: i * 3_600_000,
      value: 10 * Math.exp(0.1 * Math.sin((2 * Math.PI * i) / 180) + (i >= 90 ? 0.1 : 0)),
      backend: 'webgpu',
      adapter: 'ampere',
      isRealHardware: true,
    }));
    const found = detectFindings(points, 'webgpu', 'latency');
    expect(kinds(found)).toEqual([['regression', 90]]);
    expect(found[0]!.changePct).toBeCloseTo(Math.expm1(0.1), 3);
    expect(found[0]!.detail).toContain('on a wave of 180 points');
  });

  it('reports two steps on a noiseless wave as those two, not also the rises of the wave as regressions of +0.0 %', () => {
    const points = Array.from({ length: 200 }, (_, i) => ({
      at: i * 3_600_000,
      value: 10 * Math.exp(0.1 * Math.sin((2 * Math.PI * i) / 180) + (i >= 60 ? 0.1 : 0) + (i >= 140 ? 0.15 : 0)),
      backend: 'webgpu',
      adapter: 'ampere',
      isRealHardware: true,
    }));
    const found = detectFindings(points, 'webgpu', 'latency');
    // Before, also regressions at 43 and 88 and an improvement at 183, each of 0.0 % net of the wave.
    expect(kinds(found)).toEqual([['regression', 60], ['regression', 140]]);
    expect(found[0]!.changePct).toBeCloseTo(Math.expm1(0.1), 3);
    expect(found[1]!.changePct).toBeCloseTo(Math.expm1(0.15), 3);
  });

  it('raises nothing on heavy-tailed noise (t, 3 degrees of freedom) without a change, and finds a 3 sd step in it at its place', () => {
    let alarms = 0;
    let hits = 0;
    for (let seed = 1; seed <= 40; seed++) {
      alarms += detectFindings(series(60, () => 0, 0.05, 600 + seed, 'heavy'), 'webgpu', 'latency').filter((d) => d.kind === 'regression' || d.kind === 'drift').length > 0 ? 1 : 0;
      const found = detectFindings(series(60, (i) => (i >= 30 ? 3 * 0.05 : 0), 0.05, 700 + seed, 'heavy'), 'webgpu', 'latency');
      hits += found.some((d) => d.kind === 'regression' && Math.abs(d.index - 30) <= 3) ? 1 : 0;
    }
    expect(alarms).toBeLessThanOrEqual(1);
    expect(hits).toBeGreaterThanOrEqual(36);
  });

  it('raises nothing on skewed (lognormal) noise without a change: the split tests use ranks only from 40 points', () => {
    let alarms = 0;
    for (let seed = 1; seed <= 40; seed++) {
      alarms += detectFindings(series(120, () => 0, 0.08, 300 + seed, 'lognormal'), 'webgpu', 'latency').length;
    }
    expect(alarms).toBe(0);
  });

  it('reports a browser update as an environment change at the point it happened, and the code step after it as a regression', () => {
    const points = series(80, (i) => (i >= 30 ? Math.log(1.2) : 0) + (i >= 55 ? Math.log(1.25) : 0), 0.02, 51).map((p, i) => ({ ...p, browserVersion: i < 30 ? '130.0' : '131.0' }));
    const found = detectFindings(points, 'webgpu', 'latency');
    expect(kinds(found)).toEqual([['browser_version', 30], ['regression', 55]]);
    expect(found[0]!.detail).toContain('131.0');
    expect(found[0]!.changePct).toBeCloseTo(0.2, 1);
  });

  it('does not split at a point without a recorded browser version (older rows) nor report it', () => {
    const points = series(40, () => 0, 0.02, 52).map((p, i) => ({ ...p, browserVersion: i < 10 ? undefined : '131.0' }));
    expect(detectFindings(points, 'webgpu', 'latency')).toEqual([]);
  });
});

