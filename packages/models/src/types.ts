import type { DType, TensorMap } from '@browser-pool/browser-harness/protocol';

/**
 * The kinds of model the pool routes. `custom` is for models that are none of the others (or whose type the user
 * does not want to state): it has its own browser preference, Chromium first.
 */
export const MODEL_TYPES = ['text_embedding', 'vision', 'audio', 'custom'] as const;
export type ModelType = (typeof MODEL_TYPES)[number];

/** One model input: name, element type and dims (a string is a symbolic dim such as "batch"). */
export interface InputSpec {
  name: string;
  dtype: DType;
  dims: readonly (number | string)[];
}

/** Where model bytes come from. */
export type ModelSource =
  | { kind: 'file'; path: string }
  | { kind: 'url'; url: string }
  | { kind: 'bytes'; bytes: Uint8Array };

export interface SampleOptions {
  /** Value of the "batch" dim. @default 1 */
  batch?: number;
  /** @default 1 */
  seed?: number;
}

/** A catalogue entry: what the model is, what it takes, where its bytes are and how to make inputs for it. */
export interface ModelEntry {
  readonly name: string;
  readonly modelType: ModelType;
  readonly description: string;
  /** generated: written here with seeded weights; packaged: shipped in an npm package; user: a file or URL. */
  readonly origin: 'generated' | 'packaged' | 'user';
  readonly inputs: readonly InputSpec[];
  readonly outputs: readonly string[];
  /** Resolves the bytes' location, generating the file on first use where needed. */
  source(): Promise<ModelSource>;
  sampleInputs(options?: SampleOptions): TensorMap;
}
