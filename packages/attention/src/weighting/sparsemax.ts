import { add, div, eq, ge, gt, max, maximum, mul, noGrad, record, relu, sub, sum, where, type Tensor } from '@heed/tensor';
import { maskScores } from './mask-scores.js';
import type { WeightingOptions } from './soft.js';

const BISECTION_STEPS = 20;
const REFINEMENT_STEPS = 4;

/**
 * The sparsemax threshold τ of each row of `z` `[..., S]` (`-Infinity` = excluded), such that
 * `Σ max(z - τ, 0) = 1`. Bisection on [max - 1, max] brackets τ from below, then Michelot's
 * fixed-point step `τ = (Σ_{z > τ} z - 1) / |{z > τ}|` makes it exact (it only ever drops
 * entries from a superset of the support). Composed from elementwise ops and reductions, so it
 * runs on any backend without sorting.
 */
function sparsemaxThreshold(z: Tensor): Tensor {
  const top = max(z, -1, true);
  const finiteTop = where(eq(top, -Infinity), 0, top);
  let low = sub(finiteTop, 1);
  let high = finiteTop;
  for (let step = 0; step < BISECTION_STEPS; step++) {
    const middle = mul(add(low, high), 0.5);
    const enough = ge(sum(relu(sub(z, middle)), -1, true), 1);
    low = where(enough, middle, low);
    high = where(enough, high, middle);
  }
  let threshold = low;
  for (let step = 0; step < REFINEMENT_STEPS; step++) {
    const support = gt(z, threshold);
    const count = sum(support.float(), -1, true);
    const total = sum(where(support, z, 0), -1, true);
    threshold = where(gt(count, 0), div(sub(total, 1), maximum(count, 1)), threshold);
  }
  return threshold;
}

/**
 * Sparsemax weights (Martins & Astudillo 2016): the Euclidean projection of each score row onto
 * the probability simplex. Like softmax the weights sum to 1, but low-scoring keys get exactly
 * zero, which makes the weights easy to read. Masked keys get 0; a fully masked row gives zeros.
 * The gradient is sparsemax's own: on the support, `g - mean_support(g)`; zero elsewhere.
 *
 * Legend: `L` query length, `S` key length; leading dims pass through.
 *
 * @param scores - `[..., L, S]`.
 * @returns weights `[..., L, S]`.
 * @example
 * ```ts
 * sparsemaxWeights(tensor([[2, 1, -1]])).toArray(); // [[1, 0, 0]]
 * sparsemaxWeights(tensor([[1, 0.8, 0]])).toArray(); // [[0.6, 0.4, 0]]
 * ```
 */
export function sparsemaxWeights(scores: Tensor, options: WeightingOptions = {}): Tensor {
  const { scores: masked } = maskScores('sparsemaxWeights', scores, options.mask);
  const out = noGrad(() => {
    const z = masked.detach();
    return relu(sub(z, sparsemaxThreshold(z)));
  });
  return record('sparsemax', out, [masked], (grad) => {
    const support = gt(out, 0);
    const count = sum(support.float(), -1, true);
    const meanGrad = div(sum(where(support, grad, 0), -1, true), maximum(count, 1));
    return [where(support, sub(grad, meanGrad), 0)];
  });
}
