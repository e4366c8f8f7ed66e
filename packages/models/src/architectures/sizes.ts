/** The size knob of generated models: tiny for tests, small for quick benchmarks, base for BERT/ViT-base-like work. */
export const MODEL_SIZES = ['tiny', 'small', 'base'] as const;
export type ModelSize = (typeof MODEL_SIZES)[number];

export interface SizeSpec {
  hidden: number;
  heads: number;
  ffn: number;
  layers: number;
  /** text: tokens per sequence and vocabulary */
  seq: number;
  vocab: number;
  /** vision: square image side and patch side */
  image: number;
  patch: number;
  classes: number;
  /** audio: waveform samples (16 kHz) */
  samples: number;
}

export const SIZES: Record<ModelSize, SizeSpec> = {
  tiny: { hidden: 32, heads: 2, ffn: 64, layers: 1, seq: 16, vocab: 128, image: 16, patch: 4, classes: 10, samples: 1600 },
  small: { hidden: 128, heads: 4, ffn: 512, layers: 2, seq: 64, vocab: 4096, image: 32, patch: 4, classes: 100, samples: 8000 },
  base: { hidden: 768, heads: 12, ffn: 3072, layers: 12, seq: 128, vocab: 30522, image: 224, patch: 16, classes: 1000, samples: 16000 },
};
