import {
  ValueError,
  div,
  gt,
  log,
  logSoftmax,
  max,
  maximum,
  neg,
  rand,
  sum,
  where,
  add,
  argmax,
  type Generator,
  type Tensor,
} from '@heed/tensor';
import { maskScores } from './mask-scores.js';
import { oneHotArgmax } from './hard.js';
import type { WeightingOptions } from './soft.js';

/** Options of {@link sampleWeights}. */
export interface SampleWeightingOptions extends WeightingOptions {
  /** Softmax temperature of the sampling distribution (default 1). */
  temperature?: number;
  /** Seeded generator for reproducible samples (default: the global one). */
  generator?: Generator;
  /** Take the most likely key instead of sampling (for evaluation); the log-probability is still returned. */
  greedy?: boolean;
}

/** What {@link sampleWeights} returns. */
export interface SampledWeights {
  /** One-hot weights `[..., L, S]` on the sampled key (zero on a fully masked row). No gradient. */
  weights: Tensor;
  /** The sampled key of each row, int32 `[..., L]` (-1 on a fully masked row). */
  indices: Tensor;
  /**
   * `log p(index)` under `softmax(scores / temperature)` over the allowed keys, `[..., L]`
   * (0 on a fully masked row). Differentiable: use it for REINFORCE, `-(reward - baseline) * logProbability`.
   */
  logProbability: Tensor;
}

/**
 * Gumbel noise `-log(-log(u))` of `shape`, with `u` kept inside (0, 1).
 *
 * @example
 * ```ts
 * gumbelNoise([2, 5], new Generator(0)).shape; // [2, 5]
 * ```
 */
export function gumbelNoise(shape: readonly number[], generator?: Generator, like?: Tensor): Tensor {
  const uniform = rand(shape, { ...(generator ? { generator } : {}), ...(like ? { backend: like.backend } : {}) });
  return neg(log(neg(log(maximum(uniform, 1e-10)))));
}

/** Raises a `ValueError` naming `temperature` unless it is positive and finite. @example `checkTemperature('myWeights', 0.5)` */
export function checkTemperature(op: string, temperature: number): void {
  if (!(temperature > 0) || !Number.isFinite(temperature)) throw new ValueError(op, 'temperature', `must be a positive finite number, got ${temperature}`);
}

/**
 * Hard attention by sampling (Xu et al. 2015, "Show, Attend and Tell"): each query row picks one
 * allowed key at random with probability `softmax(scores / temperature)`, and the
 * log-probability of the pick is returned for a REINFORCE (score-function) gradient. Samples use
 * the Gumbel-max trick, so a seeded `generator` makes them reproducible.
 *
 * Legend: `L` query length, `S` key length; leading dims pass through.
 *
 * @param scores - `[..., L, S]`.
 * @returns `{ weights, indices, logProbability }`, see {@link SampledWeights}.
 * @example
 * ```ts
 * const { weights, logProbability } = sampleWeights(scores, { generator: new Generator(1) });
 * const loss = logProbability.mul(advantage.neg()).mean(); // REINFORCE
 * ```
 */
export function sampleWeights(scores: Tensor, options: SampleWeightingOptions = {}): SampledWeights {
  const temperature = options.temperature ?? 1;
  checkTemperature('sampleWeights', temperature);
  const { scores: masked } = maskScores('sampleWeights', scores, options.mask);
  const logits = temperature === 1 ? masked : div(masked, temperature);
  const alive = gt(max(logits.detach(), -1, true), -Infinity); // [..., L, 1]
  const weights = oneHotArgmax(options.greedy ? logits.detach() : add(logits.detach(), gumbelNoise(logits.shape, options.generator, logits)));
  const chosen = gt(weights, 0);
  const logProbabilities = logSoftmax(where(alive, logits, 0), -1);
  const logProbability = sum(where(chosen, logProbabilities, 0), -1);
  const indices = where(alive.squeeze(-1), argmax(weights, -1).float(), -1).int();
  return { weights, indices, logProbability };
}
