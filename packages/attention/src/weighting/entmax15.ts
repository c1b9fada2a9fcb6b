import { add, div, eq, fullLike, ge, gt, max, maximum, mul, noGrad, record, relu, sqrt, sub, sum, where, type Tensor } from '@heed/tensor';
import { maskScores } from './mask-scores.js';
import type { WeightingOptions } from './soft.js';

// τ lies in [-1, -1/√S] once the row is shifted so its maximum is 0 and halved; 26 halvings of
// that bracket reach float32's resolution near 1.
const BISECTION_STEPS = 26;
const REFINEMENT_STEPS = 3;

/**
 * The entmax-1.5 threshold τ of each row of `x` `[..., S]` (already shifted so the row maximum
 * is 0 and halved; `-Infinity` = excluded), the τ with `Σ max(x - τ, 0)² = 1`.
 *
 * Peters et al. (2019, Algorithm 2) sort the row and try every support size k: on the top k
 * entries, `Σ (x_i - τ)² = 1` has the closed form `τ_k = mean - √((1 - k·var) / k)`, and the
 * support is the largest k whose τ_k lies below its k-th entry. Sorting is no kernel here, so we
 * find the same support without it: bisection brackets τ (the support is `{x > τ}`), then the
 * closed form on that support gives τ exactly, and repeating the support/closed-form step twice
 * settles any entry that sat within float32 rounding of τ. The result is the sort-based τ to
 * float32 precision, on any backend.
 */
function entmax15Threshold(x: Tensor): Tensor {
  const top = max(x, -1, true);
  let low = fullLike(top, -1);
  let high = fullLike(top, 0);
  for (let step = 0; step < BISECTION_STEPS; step++) {
    const middle = mul(add(low, high), 0.5);
    const shifted = relu(sub(x, middle));
    const enough = ge(sum(mul(shifted, shifted), -1, true), 1);
    low = where(enough, middle, low);
    high = where(enough, high, middle);
  }
  let threshold = low;
  for (let step = 0; step < REFINEMENT_STEPS; step++) {
    const support = gt(x, threshold);
    const count = sum(support.float(), -1, true);
    const size = maximum(count, 1);
    const mean = div(sum(where(support, x, 0), -1, true), size);
    const centred = where(support, sub(x, mean), 0);
    const spread = sum(mul(centred, centred), -1, true);
    const delta = relu(div(sub(1, spread), size));
    threshold = where(gt(count, 0), sub(mean, sqrt(delta)), threshold);
  }
  return threshold;
}

/**
 * Entmax-1.5 weights (Peters, Niculae & Martins 2019, "Sparse Sequence-to-Sequence Models"):
 * `entmax15(z) = argmax_{p ∈ Δ} pᵀz + H₁.₅(p)` with the Tsallis entropy of order 1.5, which has
 * the closed form `p_i = max(z_i / 2 - τ, 0)²` with τ chosen so the row sums to 1. It sits
 * between softmax (α = 1, dense) and sparsemax (α = 2, sparser): low-scoring keys get exactly
 * zero, but the weights of the kept keys fall off smoothly. Same result as the `entmax` PyTorch
 * package's `entmax15` (its sort-based Algorithm 2), computed without sorting (see the threshold
 * note in the source), over the last axis. Masked keys get exactly 0; a fully masked row gives
 * zeros and zero gradients, never NaN.
 *
 * Gradient: the paper's closed form, not autograd through the threshold search. With
 * `s = √p` (zero off the support), `dz = s ⊙ g - (Σ s ⊙ g / Σ s) · s`.
 *
 * Legend: `L` query length, `S` key length; leading dims (`B`, `H`) pass through.
 *
 * @param scores - `[..., L, S]`.
 * @param options - `mask`: bool (true = may attend) or additive, broadcastable to `[..., L, S]`.
 * @returns weights `[..., L, S]`, each row summing to 1 (or 0 if fully masked).
 * @example
 * ```ts
 * entmax15Weights(tensor([[0, 0]])).toArray();         // [[0.5, 0.5]]
 * entmax15Weights(tensor([[3, 2, 0, -2]])).toArray();  // [[0.831, 0.169, 0, 0]]
 * attend(scores, value, { weighting: 'entmax15' });   // the same weighting, by name
 * ```
 */
export function entmax15Weights(scores: Tensor, options: WeightingOptions = {}): Tensor {
  const { scores: masked } = maskScores('entmax15Weights', scores, options.mask);
  const { weights, root } = noGrad(() => {
    const z = masked.detach();
    const top = max(z, -1, true);
    const x = mul(sub(z, where(eq(top, -Infinity), 0, top)), 0.5);
    const shifted = relu(sub(x, entmax15Threshold(x)));
    return { weights: mul(shifted, shifted), root: shifted };
  });
  return record('entmax15', weights, [masked], (grad) => {
    const weighted = mul(root, grad);
    const total = maximum(sum(root, -1, true), 1e-12);
    return [sub(weighted, mul(div(sum(weighted, -1, true), total), root))];
  });
}
