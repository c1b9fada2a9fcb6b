import { arange, argmax, eq, gt, logicalAnd, softmax, type Tensor } from '@heed/tensor';
import { maskScores } from './mask-scores.js';
import type { WeightingOptions } from './soft.js';
import { straightThrough } from './straight-through.js';

/** Options of {@link hardWeights}. */
export interface HardWeightingOptions extends WeightingOptions {
  /**
   * Pass gradients through as if the weights were the soft ones (the straight-through
   * estimator). Without it, hard weights have no gradient (argmax is piecewise constant).
   */
  straightThrough?: boolean;
}

/** One-hot `[..., L, S]` of the argmax over the last axis, zero on rows whose best score is `-Infinity`. */
export function oneHotArgmax(masked: Tensor): Tensor {
  const keys = masked.shape[masked.rank - 1];
  const index = argmax(masked, -1, true); // ties go to the lowest index
  const positions = arange(0, keys, 1, { backend: masked.backend, dtype: 'int32' });
  return logicalAnd(eq(positions, index), gt(masked, -Infinity)).float();
}

/**
 * Hard attention weights: a one-hot vector on the best allowed key of each query row (ties go to
 * the lowest index); zero on a row with no allowed key. With `straightThrough`, the gradient is
 * that of the soft weights.
 *
 * Legend: `L` query length, `S` key length; leading dims pass through.
 *
 * @param scores - `[..., L, S]`.
 * @returns one-hot weights `[..., L, S]` (float32).
 * @example
 * ```ts
 * hardWeights(tensor([[1, 3, 3]])).toArray(); // [[0, 1, 0]]
 * ```
 */
export function hardWeights(scores: Tensor, options: HardWeightingOptions = {}): Tensor {
  const { scores: masked } = maskScores('hardWeights', scores, options.mask);
  const hard = oneHotArgmax(masked);
  if (!options.straightThrough) return hard;
  return straightThrough(hard, softmax(masked, -1));
}
