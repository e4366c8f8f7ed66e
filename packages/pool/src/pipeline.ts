/**
 * One model across connections: the model is cut into stages at named tensors (splitModel), each stage is a model
 * of the pool (loaded where the pool places it, on any browser and backend), and requests flow stage to stage with
 * several in flight, so stage 1 works on request n+1 while stage 2 works on request n. A stage's connection lost
 * mid-request is the pool's ordinary fault path: the call is retried on another connection, which loads the stage.
 */
import { type Backend, InvalidInputError, type TensorMap } from '@browser-pool/browser-harness';
import { type ModelStage, type ModelType, splitModel } from '@browser-pool/models';

import type { ModelHandle } from './model-handle';
import type { ResourcePool } from './resource-pool';

export interface PipelineOptions {
  /** Stage models are named `<name>.stage<i>`. */
  name: string;
  /** Tensor names closing each stage but the last: k cuts give k + 1 stages. */
  cuts: readonly (readonly string[])[];
  /** @default 'custom' */
  modelType?: ModelType;
  /** Backends per stage (index i for stage i); a stage without an entry gets the pool's. */
  backends?: readonly (readonly Backend[] | undefined)[];
}

export interface PipelineResult {
  outputs: TensorMap;
  /** Node-side time of each stage's call (queueing, transfer and compute). */
  stageMs: number[];
}

function pick(values: TensorMap, names: readonly string[]): TensorMap {
  return Object.fromEntries(names.map((n) => [n, values[n]!]));
}

export class ModelPipeline {
  private constructor(
    readonly name: string,
    readonly stages: readonly ModelStage[],
    private readonly handles: readonly ModelHandle[],
  ) {}

  /** Cuts `bytes` and loads every stage through `pool`. @throws InvalidInputError for bad cuts, and getModel's errors */
  static async load(pool: ResourcePool, bytes: Uint8Array, options: PipelineOptions): Promise<ModelPipeline> {
    if (options.cuts.length === 0) {
      throw new InvalidInputError('a pipeline needs at least one cut (one cut = two stages)');
    }
    const stages = await splitModel(bytes, options.cuts);
    const handles: ModelHandle[] = [];
    try {
      for (const stage of stages) {
        const backends = options.backends?.[stage.index];
        handles.push(
          await pool.getModel(
            { bytes: stage.bytes, name: `${options.name}.stage${stage.index}`, modelType: options.modelType ?? 'custom' },
            backends === undefined ? {} : { backends: [...backends] },
          ),
        );
      }
    } catch (error) {
      await Promise.all(handles.map((h) => h.release()));
      throw error;
    }
    return new ModelPipeline(options.name, stages, handles);
  }

  /** Where each stage was first placed. */
  get placements(): ModelHandle['placement'][] {
    return this.handles.map((h) => h.placement);
  }

  /** One request through every stage in order; returns the whole model's outputs. */
  async run(inputs: TensorMap): Promise<PipelineResult> {
    const values: TensorMap = { ...inputs };
    const stageMs: number[] = [];
    for (const [i, stage] of this.stages.entries()) {
      const missing = stage.inputs.filter((n) => values[n] === undefined);
      if (missing.length > 0) {
        throw new InvalidInputError(`pipeline "${this.name}": input ${missing.map((n) => `"${n}"`).join(', ')} missing (stage ${i} takes ${stage.inputs.join(', ')})`);
      }
      const start = performance.now();
      const result = await this.handles[i]!.run(pick(values, stage.inputs));
      stageMs.push(performance.now() - start);
      Object.assign(values, result.outputs);
    }
    return { outputs: pick(values, this.stages.flatMap((s) => s.modelOutputs)), stageMs };
  }

  /**
   * Many requests with up to `inFlight` of them in the pipeline at once (default: one per stage, so every stage has
   * work); results in request order. The first failure rejects, after the requests already started settle.
   */
  async runAll(requests: readonly TensorMap[], inFlight = this.stages.length): Promise<PipelineResult[]> {
    const results = new Array<PipelineResult>(requests.length);
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < requests.length) {
        const i = next++;
        results[i] = await this.run(requests[i]!);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(inFlight, requests.length)) }, lane));
    return results;
  }

  async release(): Promise<void> {
    await Promise.all(this.handles.map((h) => h.release()));
  }
}
