/**
 * Efficient attention: sparse patterns, linear attention and memory-efficient (FlashAttention)
 * attention, each equal to full attention with the corresponding mask (linear attention being
 * the exception: it approximates softmax attention by design).
 *
 * Legend: `B` batch, `H` heads, `L` query length, `S` key length, `D` head dim.
 */
export { AttentionPattern, unionPatterns, type PatternKind, type PatternOptions, type PatternRule, type PatternContext } from './attention-pattern.js';
export { customPattern, type CustomPatternOptions, type KeyLister, type KeyPredicate, type KeySpan } from './custom-pattern.js';
export { slidingWindowPattern, dilatedPattern, type SlidingWindowOptions, type DilatedOptions } from './sliding-window-pattern.js';
export { blockSparsePattern, type BlockSparseOptions, type BlockLayout } from './block-sparse-pattern.js';
export { longformerPattern, bigBirdPattern, type LongformerOptions, type BigBirdOptions } from './global-local-pattern.js';
export { resolveWindow, type AttentionWindow } from './window.js';
export { sparseAttention, sparseAttentionCost, type SparseAttentionOptions } from './sparse-attention.js';
export { linearAttention, type LinearAttentionOptions, type FeatureMap } from './linear-attention.js';
export {
  memoryEfficientAttention,
  type MemoryEfficientAttentionOptions,
  type MemoryEfficientAttentionResult,
} from './memory-efficient-attention.js';
export { attentionWeightsForRows, type AttentionWeightsForRowsOptions } from './attention-weights-for-rows.js';
export type { DenseAttentionOptions } from './attention-inputs.js';
