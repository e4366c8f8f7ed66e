/**
 * The steps that stand on top of a wave (`stepsOverWave`): the alternative the shape choice (stretch.ts) weighs against
 * the steps the search found, where a wave may have made them.
 */
import { binarySegmentation } from './binseg';
import { bic, fitSine, fitWaveWithSteps } from './shape';

/**
 * Steps on top of a wave. Candidates: the search's own cuts and those the calibrated search finds in what the wave
 * fitted alone leaves (a wave cannot make a jump, so a real step survives it). The wave is fitted again together with
 * the candidates, and the search repeated on what that wave part leaves. Each step found then stays only while the
 * wave plus the steps beats the wave alone by BIC with `margin` per step (backward elimination): the wave's halves,
 * which a search on the raw values takes for an up and a down step, explain nothing once the wave is fitted. The
 * period is the one chosen with a step allowed for (`wavePeriodWithStep`); without any step the alternative is the
 * best wave alone (`aloneBic`, its own period), so that a period chosen to suit a step does not handicap it.
 */
export function stepsOverWave(zs: Float64Array, period: number, rawCuts: readonly number[], minLogEffect: number, margin: number, aloneBic: number): number[] {
  const m = zs.length;
  const wave = fitSine(zs, [period / m], false);
  const search = (fitted: Float64Array): number[] =>
    binarySegmentation(Float64Array.from(zs, (y, i) => y - fitted[i]!), 0, m, { minLogEffect }).map((c) => c.at);
  const seeds = [...new Set([...rawCuts, ...search(wave.fitted)])].sort((a, b) => a - b);
  const joint = fitWaveWithSteps(zs, period, seeds);
  // The wave part of the joint fit: its fitted values less the step terms.
  const wavePart = Float64Array.from(joint.fitted, (f, i) => f - seeds.reduce((acc, c, j) => acc + (i >= c ? joint.coef[3 + j]! : 0), 0));
  let cuts = search(wavePart);
  const score = (cs: readonly number[]): number => (cs.length === 0 ? Math.min(bic(wave, m), aloneBic) : bic(fitWaveWithSteps(zs, period, cs), m) + margin * cs.length);
  let current = score(cuts);
  for (let dropped = true; dropped && cuts.length > 0; ) {
    dropped = false;
    for (let i = 0; i < cuts.length; i++) {
      const without = cuts.filter((_, j) => j !== i);
      const b = score(without);
      if (b <= current) {
        cuts = without;
        current = b;
        dropped = true;
        break;
      }
    }
  }
  return cuts;
}
