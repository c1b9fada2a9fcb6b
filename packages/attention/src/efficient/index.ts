/**
 * Efficient attention: sparse patterns, linear attention and memory-efficient (FlashAttention)
 * attention, each equal to full attention with the corresponding mask (linear attention being
 * the exception: it approximates softmax attention by design).
 *
 * Legend: `B` batch, `H` heads, `L` query length, `S` key length, `D` head dim.
 */
export { AttentionPattern, unionPatterns, type PatternKind, type PatternOptions, type PatternRule, type PatternContext } from './patterns/attention-pattern.js';
export { customPattern, type CustomPatternOptions, type KeyLister, type KeyPredicate, type KeySpan } from './patterns/custom-pattern.js';
export { slidingWindowPattern, dilatedPattern, type SlidingWindowOptions, type DilatedOptions } from './patterns/sliding-window-pattern.js';
export { blockSparsePattern, type BlockSparseOptions, type BlockLayout } from './patterns/block-sparse-pattern.js';
export { longformerPattern, bigBirdPattern, type LongformerOptions, type BigBirdOptions } from './patterns/global-local-pattern.js';
export { resolveWindow, type AttentionWindow } from './patterns/window.js';
export { sparseAttention, sparseAttentionCost, type SparseAttentionOptions } from './algorithms/sparse-attention.js';
export { linearAttention, type LinearAttentionOptions, type FeatureMap } from './algorithms/linear-attention.js';
export {
  memoryEfficientAttention,
  type MemoryEfficientAttentionOptions,
  type MemoryEfficientAttentionResult,
} from './algorithms/memory-efficient-attention.js';
export { attentionWeightsForRows, type AttentionWeightsForRowsOptions } from './algorithms/attention-weights-for-rows.js';
export type { DenseAttentionOptions } from './algorithms/attention-inputs.js';
