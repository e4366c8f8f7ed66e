/**
 * The model catalogue: generated architectures (text_embedding, vision, audio at tiny/small/base sizes), real models
 * shipped in npm packages (silero VAD), and user models from a file path or an http(s) URL.
 */
import { createRequire } from 'node:module';
import path from 'node:path';

import { ModelNotFoundError, type TensorMap } from '@browser-pool/browser-harness/protocol';

import { audioFrames, buildAudio } from './architectures/audio';
import { buildIdentity } from './architectures/identity';
import { MODEL_SIZES, type ModelSize, SIZES } from './architectures/sizes';
import { buildTextEmbedding } from './architectures/text-embedding';
import { buildVision } from './architectures/vision';
import { defaultCacheDir, ensureGenerated } from './generated';
import { WEIGHT_PRECISIONS, type WeightPrecision } from './onnx/graph-builder';
import { sampleInputs } from './sample-inputs';
import type { InputSpec, ModelEntry, ModelSource, ModelType, SampleOptions } from './types';

const require = createRequire(import.meta.url);

/** Seed of every generated model's weights: fixed, so every machine builds the same bytes. */
const WEIGHT_SEED = 20261123;

function generatedEntry(
  cacheDir: string,
  init: Omit<ModelEntry, 'origin' | 'source' | 'sampleInputs'> & { build: () => Uint8Array; intMax?: number },
): ModelEntry {
  const { build, intMax, ...rest } = init;
  return {
    ...rest,
    origin: 'generated',
    source: async () => ({ kind: 'file', path: await ensureGenerated(cacheDir, init.name, build) }),
    sampleInputs: (o?: SampleOptions) => sampleInputs(init.inputs, { ...o, ...(intMax === undefined ? {} : { intMax }) }),
  };
}

const PRECISION_NOTE: Record<WeightPrecision, string> = {
  fp32: '',
  fp16: '; fp16 weights (Cast to float32 where used)',
  int8: '; int8 weights (per-tensor symmetric DequantizeLinear)',
  int4: '; int4 MatMul weights (MatMulNBits, 32-value blocks, symmetric)',
  int2: '; int2 MatMul weights (MatMulNBits, 32-value blocks, symmetric: codes -1, 0, 1)',
};

/** Every architecture at every size and weight precision: `bert-tiny`, `bert-tiny-fp16`, `bert-tiny-int8`, ... */
function generatedModels(cacheDir: string): ModelEntry[] {
  return MODEL_SIZES.flatMap((size: ModelSize) =>
    WEIGHT_PRECISIONS.flatMap((precision) => {
      const s = SIZES[size];
      const dims = `hidden ${s.hidden}, ${s.layers} layer(s), ${s.heads} heads`;
      const suffix = precision === 'fp32' ? '' : `-${precision}`;
      const note = PRECISION_NOTE[precision];
      return [
        generatedEntry(cacheDir, {
          name: `bert-${size}${suffix}`,
          modelType: 'text_embedding',
          description: `BERT-style encoder (${dims}, ${s.seq} tokens, vocab ${s.vocab}), mean-pooled embedding${note}`,
          inputs: [{ name: 'input_ids', dtype: 'int64', dims: ['batch', s.seq] }],
          outputs: ['embedding'],
          intMax: s.vocab,
          build: () => buildTextEmbedding(`bert-${size}${suffix}`, s, WEIGHT_SEED, precision),
        }),
        generatedEntry(cacheDir, {
          name: `vit-${size}${suffix}`,
          modelType: 'vision',
          description: `ViT-style classifier (${dims}, ${s.image}x${s.image} image, ${s.patch}px patches, ${s.classes} classes)${note}`,
          inputs: [{ name: 'pixel_values', dtype: 'float32', dims: ['batch', 3, s.image, s.image] }],
          outputs: ['logits'],
          build: () => buildVision(`vit-${size}${suffix}`, s, WEIGHT_SEED, precision),
        }),
        generatedEntry(cacheDir, {
          name: `audio-encoder-${size}${suffix}`,
          modelType: 'audio',
          description: `1-D conv front-end + encoder (${dims}, ${s.samples} samples -> ${audioFrames(s.samples)} frames)${note}`,
          inputs: [{ name: 'waveform', dtype: 'float32', dims: ['batch', s.samples] }],
          outputs: ['embedding'],
          build: () => buildAudio(`audio-encoder-${size}${suffix}`, s, WEIGHT_SEED, precision),
        }),
      ];
    }),
  );
}

const SILERO_INPUTS: InputSpec[] = [
  { name: 'input', dtype: 'float32', dims: ['batch', 512] },
  { name: 'state', dtype: 'float32', dims: [2, 'batch', 128] },
  { name: 'sr', dtype: 'int64', dims: [] },
];

/** Silero VAD v5 as shipped by @ricky0123/vad-web: one 32 ms frame at 16 kHz plus recurrent state. */
function sileroVad(): ModelEntry {
  return {
    name: 'silero-vad',
    modelType: 'audio',
    description: 'Silero VAD v5 (real model from @ricky0123/vad-web): speech probability per 512-sample frame',
    origin: 'packaged',
    inputs: SILERO_INPUTS,
    outputs: ['output', 'stateN'],
    source: () =>
      Promise.resolve({
        kind: 'file',
        path: path.join(path.dirname(require.resolve('@ricky0123/vad-web')), 'silero_vad_v5.onnx'),
      }),
    sampleInputs: (o?: SampleOptions): TensorMap => {
      const base = sampleInputs(SILERO_INPUTS.slice(0, 2), o);
      const state = base.state;
      if (state !== undefined) {
        (state.data as Float32Array).fill(0); // a fresh stream starts from zero state
      }
      return { ...base, sr: { dtype: 'int64', dims: [], data: new BigInt64Array([16000n]) } };
    },
  };
}

export interface UserModelInit {
  name: string;
  modelType: ModelType;
  source: ModelSource;
  /** Declared inputs, used for sample inputs. @default [] (the caller supplies inputs) */
  inputs?: InputSpec[];
  outputs?: string[];
  description?: string;
}

/** A model from a file path, an http(s) URL or bytes in memory. */
export function userModel(init: UserModelInit): ModelEntry {
  const inputs = init.inputs ?? [];
  return {
    name: init.name,
    modelType: init.modelType,
    description: init.description ?? `user model from ${init.source.kind === 'bytes' ? 'memory' : init.source.kind}`,
    origin: 'user',
    inputs,
    outputs: init.outputs ?? [],
    source: () => Promise.resolve(init.source),
    sampleInputs: (o?: SampleOptions) => sampleInputs(inputs, o),
  };
}

export interface CatalogueOptions {
  /** Where generated models are written. @default `$BROWSER_POOL_MODEL_CACHE` or `<repo>/.cache/models` */
  cacheDir?: string;
}

export class ModelCatalogue {
  private readonly entries = new Map<string, ModelEntry>();

  constructor(entries: Iterable<ModelEntry> = []) {
    for (const e of entries) {
      this.add(e);
    }
  }

  /** The built-in catalogue: generated architectures, silero VAD and the identity model used by benchmarks. */
  static default(options: CatalogueOptions = {}): ModelCatalogue {
    const cacheDir = options.cacheDir ?? defaultCacheDir();
    const identity = generatedEntry(cacheDir, {
      name: 'identity',
      modelType: 'vision',
      description: 'Identity over a float32 vector: for wire round-trip benchmarks',
      inputs: [{ name: 'x', dtype: 'float32', dims: ['n'] }],
      outputs: ['y'],
      build: () => buildIdentity('identity'),
    });
    return new ModelCatalogue([...generatedModels(cacheDir), sileroVad(), identity]);
  }

  add(entry: ModelEntry): this {
    this.entries.set(entry.name, entry);
    return this;
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  /** @throws ModelNotFoundError naming the known models. */
  get(name: string): ModelEntry {
    const entry = this.entries.get(name);
    if (entry === undefined) {
      throw new ModelNotFoundError(`unknown model "${name}"; known models: ${[...this.entries.keys()].join(', ')}`, {
        details: { model: name },
      });
    }
    return entry;
  }

  list(filter: { modelType?: ModelType } = {}): ModelEntry[] {
    return [...this.entries.values()].filter((e) => filter.modelType === undefined || e.modelType === filter.modelType);
  }
}
