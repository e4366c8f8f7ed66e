/** Model catalogue: generated ONNX architectures with seeded weights, packaged real models, user models. */
export { MODEL_SIZES, type ModelSize, SIZES, type SizeSpec } from './architectures/sizes';
export { buildTextEmbedding } from './architectures/text-embedding';
export { type CatalogueOptions, ModelCatalogue, userModel, type UserModelInit } from './catalogue';
export { defaultCacheDir, GENERATOR_VERSION } from './generated';
export { type ConstantTensor, type GraphNode, type GraphSummary, inspectGraph } from './kernels/graph';
export { describeHits, hitsOn, inOrtRange, type KernelHit, KNOWN_WRONG_KERNELS, knownWrongHits,type KnownWrongKernel } from './kernels/known-wrong';
export { buildSliceProbe, type SliceProbe } from './kernels/probes';
export { BLOCK_BITS, type BlockBits, type BlockQuantized, dequantizeBlocks, quantizeBlocks } from './onnx/block-quant';
export { BLOCK_SIZE, type BuildPrecision, GraphBuilder, toFloat16Bits, WEIGHT_PRECISIONS, type WeightPrecision } from './onnx/graph-builder';
export { cutGraph, type ModelStage } from './onnx/graph-cut';
export { intermediateTypes, splitModel } from './onnx/split-model';
export { buildHandoffPipeline, HANDOFF_WIDTH, type HandoffPipeline } from './pipelines/handoff';
export { type Accuracy, accuracyOf, PRECISION_TOLERANCE, type Tolerance, withinTolerance } from './precision/accuracy';
export { Rng } from './random';
export { maxAbsDiff, type ReferenceOptimization, runReference } from './reference';
export { sampleInputs } from './sample-inputs';
export { assertReadableFile, loadModelBytes } from './sources';
export * from './types';
