/**
 * The sizes of the steps a stretch's shape kept (stretch.ts), net of a wave where one stands beside them: there the
 * points either side of a step hold the wave's rise or fall too.
 */
import { WAVE_OVER_STEPS_F, waveOverStepsF, type WaveStepSize, waveStepSizes } from './wave-step';

/**
 * Shortest stretch on which steps are tested against a wave. Below it a wave of the stretch's length and a regression
 * with its fix are too alike to tell apart: testing there halved what was found of regressions fixed soon after
 * (multi-step F1 0.71 -> 0.54 at 20 points) to bring seasonal false alarms only from 16 % to 7 %.
 */
export const MIN_WAVE_POINTS = 40;

/**
 * The sizes of steps the search found (`cuts`) net of a wave, where one stands beside them: a wave fitted together
 * with the steps beats the steps alone (`waveOverStepsF`, about 1 % without a wave). Where a wave stands beside them,
 * the points either side of a step hold the wave's rise or fall too: on 1.5 sd waves of about the stretch's length
 * with a 2 sd step (3000 seeds, 200 points), 7 steps found at their place read as improvements of 0.0-1.9 % (+10.5 %
 * true) when this was screened by the wave's F over the pieces' own levels (`waveF`: a long half-cycle either side of
 * a cut passes for the pieces' levels) above 2.5 ln n; the intervals held the truth 2200 times of 2331, now 2288 and
 * no improvement; on 0.75 sd waves 1645 -> 2209 of 2554. Without a wave, 8 of 2897 steps are sized so (2770 intervals
 * held the truth, 2774 before). Stretches under MIN_WAVE_POINTS points are sized as they are searched,
 * on the points either side.
 */
function stepsOnWave(ys: Float64Array, cuts: readonly number[]): WaveStepSize[] | undefined {
  return ys.length >= MIN_WAVE_POINTS && waveOverStepsF(ys, cuts) > WAVE_OVER_STEPS_F ? waveStepSizes(ys, cuts) : undefined;
}

/**
 * The steps at `cuts` with their sizes net of a wave where one stands beside them (`stepsOnWave`), less those whose
 * size net of the wave is under the floor: the smallest goes and the others are sized again, until each clears it
 * (a step found on a wave alone must clear it too: `stepOnWave`). On a noiseless 200-point wave with two steps, the
 * search's cuts on the wave's rises were reported as "regressions" of +0.0 % beside the two real ones.
 */
export function sizedOnWave(ys: Float64Array, found: readonly number[], minLogEffect: number): { cuts: number[]; waves: WaveStepSize[] | undefined } {
  let cuts = [...found];
  let waves = stepsOnWave(ys, cuts);
  while (waves !== undefined && cuts.length > 0) {
    const smallest = waves.reduce((best, w, j) => (Math.abs(w.shift) < Math.abs(waves![best]!.shift) ? j : best), 0);
    if (Math.abs(waves[smallest]!.shift) >= minLogEffect) {
      break;
    }
    cuts = cuts.filter((_, j) => j !== smallest);
    waves = cuts.length > 0 ? waveStepSizes(ys, cuts) : undefined;
  }
  return { cuts, waves };
}
