import { add, div, softmax, type Generator, type Tensor } from '@heed/tensor';
import { oneHotArgmax } from './hard.js';
import { maskScores } from './mask-scores.js';
import { checkTemperature, gumbelNoise } from './sample.js';
import type { WeightingOptions } from './soft.js';
import { straightThrough } from './straight-through.js';

/** Options of {@link gumbelSoftmaxWeights}. */
export interface GumbelSoftmaxOptions extends WeightingOptions {
  /** Temperature τ (default 1); smaller is closer to one-hot. */
  temperature?: number;
  /** Return one-hot weights with the soft weights' gradient (straight-through), like PyTorch's `hard=True`. */
  hard?: boolean;
  /** Seeded generator for the Gumbel noise (default: the global one). */
  generator?: Generator;
  /** Add the Gumbel noise (default true); false gives the deterministic `softmax(scores / τ)` used at evaluation. */
  noise?: boolean;
}

/**
 * Gumbel-softmax weights (Jang et al. 2017; Maddison et al. 2017): `softmax((scores + g) / τ)`
 * over the allowed keys with Gumbel noise `g`, a differentiable relaxation of sampling one key.
 * With `hard`, the forward value is the one-hot argmax and the gradient that of the soft sample
 * (PyTorch's `F.gumbel_softmax(hard=True)`). A fully masked row gives zeros.
 *
 * Legend: `L` query length, `S` key length; leading dims pass through.
 *
 * @param scores - `[..., L, S]` (logits).
 * @returns weights `[..., L, S]`.
 * @example
 * ```ts
 * gumbelSoftmaxWeights(scores, { temperature: 0.5, hard: true, generator: new Generator(0) });
 * ```
 */
export function gumbelSoftmaxWeights(scores: Tensor, options: GumbelSoftmaxOptions = {}): Tensor {
  const temperature = options.temperature ?? 1;
  checkTemperature('gumbelSoftmaxWeights', temperature);
  const { scores: masked } = maskScores('gumbelSoftmaxWeights', scores, options.mask);
  const perturbed = options.noise === false ? masked : add(masked, gumbelNoise(masked.shape, options.generator, masked));
  const soft = softmax(temperature === 1 ? perturbed : div(perturbed, temperature), -1);
  return options.hard ? straightThrough(oneHotArgmax(perturbed), soft) : soft;
}
