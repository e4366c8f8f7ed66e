/** Wav2vec-style audio encoder: two strided 1-D convolutions with GELU, encoder layers, mean-pooled embedding. */
import { encoder, gelu, meanPool } from '../onnx/encoder';
import { type BuildPrecision,GraphBuilder } from '../onnx/graph-builder';
import { Rng } from '../random';
import type { SizeSpec } from './sizes';

const K1 = 10;
const S1 = 5;
const K2 = 3;
const S2 = 2;

/** Frames the front-end produces from `samples` waveform samples. */
export function audioFrames(samples: number): number {
  const t1 = Math.floor((samples - K1) / S1) + 1;
  return Math.floor((t1 - K2) / S2) + 1;
}

export function buildAudio(name: string, s: SizeSpec, seed: number, precision: BuildPrecision = 'fp32'): Uint8Array {
  const g = new GraphBuilder(name, new Rng(seed), precision);
  const wave = g.input('waveform', 'float32', ['batch', s.samples]);
  const channels = Math.max(16, s.hidden / 2);
  const x0 = g.op('Unsqueeze', [wave, g.ints([1])]); // [B, 1, T]
  const conv = (x: string, cin: number, cout: number, k: number, stride: number, p: string): string =>
    gelu(
      g,
      g.op('Conv', [x, g.weight(`${p}.weight`, [cout, cin, k], 1 / Math.sqrt(cin * k)), g.weight(`${p}.bias`, [cout], 0.02)], {
        kernel_shape: { ints: [k] },
        strides: { ints: [stride] },
      }),
    );
  const features = conv(conv(x0, 1, channels, K1, S1, 'conv1'), channels, s.hidden, K2, S2, 'conv2'); // [B, H, T']
  const frames = g.op('Transpose', [features], { perm: { ints: [0, 2, 1] } });
  const x = g.op('Add', [frames, g.weight('position_embedding', [audioFrames(s.samples), s.hidden], 0.1)]);
  g.output(meanPool(g, encoder(g, x, s)), 'embedding', 'float32', ['batch', s.hidden]);
  return g.toBytes();
}
