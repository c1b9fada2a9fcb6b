import { softmax, type Tensor } from '@heed/tensor';
import type { AttentionMask } from '../masks.js';
import { maskScores } from './mask-scores.js';

/** Options shared by the weighting functions. */
export interface WeightingOptions {
  /** Bool (true = may attend) or additive mask, broadcastable to the scores `[..., L, S]`. */
  mask?: AttentionMask | null;
}

/**
 * Soft attention weights: a softmax over the allowed keys of each query row. A row with no
 * allowed key gets all-zero weights (never NaN), and zero gradients.
 *
 * Legend: `L` query length, `S` key length; leading dims (`B`, `H`) pass through.
 *
 * @param scores - `[..., L, S]`.
 * @returns weights `[..., L, S]`, each row summing to 1 (or 0 if fully masked).
 * @example
 * ```ts
 * softWeights(tensor([[1, 2, 3]]), { mask: tensor([[true, true, false]]) }).toArray(); // [[0.269, 0.731, 0]]
 * ```
 */
export function softWeights(scores: Tensor, options: WeightingOptions = {}): Tensor {
  return softmax(maskScores('softWeights', scores, options.mask).scores, -1);
}
