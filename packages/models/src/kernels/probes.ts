/**
 * Tiny models that exercise one known-wrong case each, so a test can re-measure the case against the reference
 * (and notice when onnxruntime-web fixes it).
 */
import { GraphBuilder } from '../onnx/graph-builder';
import { Rng } from '../random';

/** Smallest int64: an `ends` of it means "through the start of the axis" for a negative step. */
const INT64_MIN = -9223372036854775808;

export interface SliceProbe {
  starts: number[];
  /** `undefined`: through the end of the axis in the step's direction. */
  ends?: number[];
  axes: number[];
  steps: number[];
}

/** y = Slice(x, ...) over a float32 input `x` of `dims` (fed at run time, so nothing folds it). */
export function buildSliceProbe(dims: readonly number[], p: SliceProbe): Uint8Array {
  const g = new GraphBuilder('slice-probe', new Rng(1));
  const x = g.input('x', 'float32', dims);
  const ends = p.ends ?? p.steps.map((s) => (s < 0 ? INT64_MIN : Number.MAX_SAFE_INTEGER));
  const y = g.op('Slice', [x, g.ints(p.starts), g.ints(ends), g.ints(p.axes), g.ints(p.steps)]);
  g.output(y, 'y', 'float32', dims.map((_, i) => `d${i}`));
  return g.toBytes();
}
