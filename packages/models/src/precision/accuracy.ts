/**
 * How close a reduced-precision variant's outputs must be to the fp32 model's, per weight precision: the documented
 * tolerance the precision tests and `npm run bench -- --suite precision` hold each variant to.
 */
import type { WeightPrecision } from '../onnx/graph-builder';

export interface Accuracy {
  /** Largest |variant - fp32| over every element. */
  maxAbs: number;
  /** maxAbs divided by the largest |fp32| element (scale-free). */
  relMaxAbs: number;
  /** Cosine similarity of the flattened outputs (1 = same direction). */
  cosine: number;
}

export interface Tolerance {
  relMaxAbs: number;
  minCosine: number;
}

/**
 * Measured on the tiny and small generated models (onnxruntime-node, seeded weights) with headroom: fp16 and int8
 * are close copies; int4 (32-value blocks) keeps the direction (cosine >= 0.98) but moves single values by up to
 * a quarter of the output's range; int2 (three levels per block) is a coarse sketch, accepted only as that.
 */
export const PRECISION_TOLERANCE: Record<WeightPrecision, Tolerance> = {
  fp32: { relMaxAbs: 1e-5, minCosine: 0.999999 },
  fp16: { relMaxAbs: 0.01, minCosine: 0.9999 },
  int8: { relMaxAbs: 0.08, minCosine: 0.999 },
  int4: { relMaxAbs: 0.3, minCosine: 0.98 },
  int2: { relMaxAbs: 1.5, minCosine: 0.6 },
};

/** Compares a variant's flattened float output with the fp32 reference's. */
export function accuracyOf(reference: ArrayLike<number>, output: ArrayLike<number>): Accuracy {
  if (reference.length !== output.length) {
    return { maxAbs: Infinity, relMaxAbs: Infinity, cosine: 0 };
  }
  let maxAbs = 0;
  let scale = 0;
  let dot = 0;
  let rr = 0;
  let oo = 0;
  for (let i = 0; i < reference.length; i++) {
    const r = reference[i]!;
    const o = output[i]!;
    const d = Math.abs(r - o);
    maxAbs = d <= maxAbs ? maxAbs : Number.isNaN(d) ? Infinity : d;
    scale = Math.max(scale, Math.abs(r));
    dot += r * o;
    rr += r * r;
    oo += o * o;
  }
  const cosine = rr === 0 && oo === 0 ? 1 : dot / Math.sqrt(rr * oo);
  return { maxAbs, relMaxAbs: scale === 0 ? maxAbs : maxAbs / scale, cosine: Number.isNaN(cosine) ? 0 : cosine };
}

/** Whether `accuracy` is within the precision's tolerance. */
export function withinTolerance(precision: WeightPrecision, accuracy: Accuracy): boolean {
  const t = PRECISION_TOLERANCE[precision];
  return accuracy.relMaxAbs <= t.relMaxAbs && accuracy.cosine >= t.minCosine;
}
