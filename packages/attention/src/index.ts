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
