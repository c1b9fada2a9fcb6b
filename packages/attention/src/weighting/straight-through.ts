import { clone, noGrad, record, type Tensor } from '@heed/tensor';

/**
 * The straight-through estimator: returns exactly `hard`'s values in the forward pass and passes
 * the gradient to `soft` unchanged in the backward pass (as if the output were `soft`). Unlike
 * `hard + soft - soft.detach()`, the forward values are exact (no rounding).
 *
 * @param hard - the values to use, e.g. one-hot weights `[..., L, S]`.
 * @param soft - the differentiable surrogate of the same shape.
 * @example
 * ```ts
 * const weights = straightThrough(oneHotOfArgmax, softWeights(scores));
 * ```
 */
export function straightThrough(hard: Tensor, soft: Tensor): Tensor {
  const out = noGrad(() => clone(hard.float()));
  return record('straightThrough', out, [soft], (grad) => [grad]);
}
