import { add, where, type Tensor } from '@heed/tensor';
import { normalizeMask, type AttentionMask } from '../masks.js';

/** Scores with masked keys set to `-Infinity`, and the bool keep-mask (null when nothing is masked). */
export interface MaskedScores {
  /** `[..., L, S]`: the scores plus any additive bias, `-Infinity` where masked. */
  scores: Tensor;
  /** Bool keep-mask broadcastable to the scores (true = may attend), or null. */
  keep: Tensor | null;
}

/**
 * Applies a mask to scores the way every weighting does: an additive mask is added, masked keys
 * become `-Infinity`. The mask is validated against the scores' shape (a `ShapeError` names
 * `argument`).
 *
 * @param scores - `[..., L, S]`.
 * @param mask - bool (true = may attend) or additive, broadcastable to `[..., L, S]`.
 * @example
 * ```ts
 * const { scores: masked } = maskScores('myWeights', scores, causalMask(4));
 * ```
 */
export function maskScores(op: string, scores: Tensor, mask: AttentionMask | null | undefined, causal = false, argument = 'mask'): MaskedScores {
  const { keep, bias } = normalizeMask(op, mask, scores.shape, { broadcast: false, causal, argument });
  const biased = bias ? add(scores, bias) : scores;
  return { scores: keep ? where(keep, biased, -Infinity) : biased, keep };
}
