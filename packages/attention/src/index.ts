/**
 * `@heed/attention`: attention for sequence models on `@heed/tensor`.
 *
 * Dimension legend: `B` batch, `H` heads, `L` query length, `S` key length, `D` head dim,
 * `E` model width, `T` time steps.
 *
 * @packageDocumentation
 */

// Masks: one vocabulary for every attention function (true = may attend).
export {
  additiveMask,
  causalMask,
  checkMask,
  combineMasks,
  normalizeMask,
  paddingMask,
  type AttentionMask,
  type MaskOptions,
  type NormalizeMaskOptions,
  type NormalizedMask,
} from './masks.js';

// Weighting: how scores become weights.
export { maskScores, type MaskedScores } from './weighting/mask-scores.js';
export { softWeights, type WeightingOptions } from './weighting/soft.js';
export { hardWeights, oneHotArgmax, type HardWeightingOptions } from './weighting/hard.js';
export { gumbelNoise, sampleWeights, type SampleWeightingOptions, type SampledWeights } from './weighting/sample.js';
export { gumbelSoftmaxWeights, type GumbelSoftmaxOptions } from './weighting/gumbel-softmax.js';
export { sparsemaxWeights } from './weighting/sparsemax.js';
export { entmax15Weights } from './weighting/entmax15.js';
export { straightThrough } from './weighting/straight-through.js';
export {
  resolveWeighting,
  type Weighting,
  type WeightingContext,
  type WeightingFunction,
  type WeightingName,
  type WeightingResult,
} from './weighting/weighting.js';

// Attention: scores + weighting + values.
export { attend, type AttendOptions, type AttentionResult } from './attend.js';
export { repeatKeyValueHeads, scaledDotProductAttention, type ScaledDotProductAttentionOptions } from './scaled-dot-product-attention.js';
export { Attention, attention, crossAttention, selfAttention, type AttentionModuleOptions, type AttentionOptions } from './attention.js';

// The attention family: monotonic and local alignments.
export {
  MonotonicAttention,
  monotonicAlignment,
  monotonicAttention,
  type MonotonicAlignmentOptions,
  type MonotonicAttentionModuleOptions,
  type MonotonicAttentionOptions,
} from './monotonic-attention.js';
export {
  LocalPAttention,
  localAttentionWeights,
  type LocalAttentionResult,
  type LocalAttentionWeightsOptions,
  type LocalPAttentionCallOptions,
  type LocalPAttentionOptions,
} from './local-p-attention.js';

// Multi-head attention and decoding.
export { KeyValueCache, type KeyValueCacheOptions } from './key-value-cache.js';
export {
  multiHeadAttentionForward,
  type MultiHeadAttentionForwardOptions,
  type MultiHeadAttentionOutput,
  type MultiHeadAttentionParameters,
} from './multi-head-attention-forward.js';
export { MultiHeadAttention, type MultiHeadAttentionCallOptions, type MultiHeadAttentionOptions } from './multi-head-attention.js';

// Positions.
export { SinusoidalPositionalEncoding, sinusoidalPositionalEncoding, type SinusoidalOptions } from './positions/sinusoidal.js';
export { LearnedPositionalEmbedding, type LearnedPositionalOptions } from './positions/learned.js';
export { RotaryEmbedding, applyRotaryEmbedding, type ApplyRotaryOptions, type RotaryOptions } from './positions/rotary.js';
export { alibiBias, alibiSlopes, type AlibiOptions } from './positions/alibi.js';

// efficient attention: sparse patterns, linear attention, memory-efficient (FlashAttention) attention.
export {
  AttentionPattern,
  customPattern,
  unionPatterns,
  slidingWindowPattern,
  dilatedPattern,
  blockSparsePattern,
  longformerPattern,
  bigBirdPattern,
  resolveWindow,
  sparseAttention,
  sparseAttentionCost,
  linearAttention,
  memoryEfficientAttention,
  attentionWeightsForRows,
  type PatternKind,
  type PatternOptions,
  type PatternRule,
  type PatternContext,
  type CustomPatternOptions,
  type KeyLister,
  type KeyPredicate,
  type KeySpan,
  type SlidingWindowOptions,
  type DilatedOptions,
  type BlockSparseOptions,
  type BlockLayout,
  type LongformerOptions,
  type BigBirdOptions,
  type AttentionWindow,
  type SparseAttentionOptions,
  type LinearAttentionOptions,
  type FeatureMap,
  type MemoryEfficientAttentionOptions,
  type MemoryEfficientAttentionResult,
  type AttentionWeightsForRowsOptions,
  type DenseAttentionOptions,
} from './efficient/index.js';

// Attention cores: how multi-head attention computes each head.
export { attentionCoreName, resolveAttentionCore, runAttentionCore, type AttentionCore, type CoreInputs, type ResolvedAttentionCore } from './attention-core.js';

// Transformer layers with PyTorch's names and state dicts.
export { activate, resolveTransformerLayerOptions, type ResolvedTransformerLayerOptions, type TransformerActivation, type TransformerLayerOptions } from './transformer/transformer-layer-options.js';
export { TransformerEncoderLayer, type TransformerEncoderLayerCallOptions } from './transformer/transformer-encoder-layer.js';
export { TransformerDecoderLayer, type TransformerDecoderLayerCallOptions, type TransformerDecoderLayerCaches } from './transformer/transformer-decoder-layer.js';
export { TransformerEncoder, type TransformerEncoderCallOptions, type TransformerEncoderOptions } from './transformer/transformer-encoder.js';
export { TransformerDecoder, type TransformerDecoderCallOptions, type TransformerDecoderOptions } from './transformer/transformer-decoder.js';
export { Transformer, type TransformerCallOptions, type TransformerOptions } from './transformer/transformer.js';

// The attention family: location-aware (speech), pointer-generator with coverage (summarisation), graph attention.
export {
  LocationAwareAttention,
  locationAwareAttention,
  locationFeatures,
  type LocationAwareAttentionOptions,
  type LocationAwareCallOptions,
  type LocationAwareOptions,
  type LocationAwareParameters,
  type LocationAwareResult,
  type LocationNormalization,
} from './location-aware-attention.js';
export {
  PointerGenerator,
  pointerGeneratorLoss,
  pointerGeneratorStep,
  type PointerGeneratorCallOptions,
  type PointerGeneratorLossOptions,
  type PointerGeneratorOptions,
  type PointerGeneratorOutput,
  type PointerGeneratorParameters,
  type PointerGeneratorStepOptions,
  type PointerGeneratorStepResult,
} from './pointer-generator.js';
export {
  GraphAttention,
  adjacencyFromEdgeIndex,
  graphAttention,
  type GraphAttentionFunctionOptions,
  type GraphAttentionOptions,
  type GraphAttentionParameters,
  type GraphAttentionResult,
} from './graph-attention.js';
