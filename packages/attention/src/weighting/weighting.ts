import { ValueError, type Generator, type Tensor } from '@heed/tensor';
import { gumbelSoftmaxWeights } from './gumbel-softmax.js';
import { hardWeights } from './hard.js';
import { checkTemperature, sampleWeights } from './sample.js';
import { softWeights, type WeightingOptions } from './soft.js';
import { sparsemaxWeights } from './sparsemax.js';
import { entmax15Weights } from './entmax15.js';

/** The built-in weightings: softmax, argmax, sampling, Gumbel-softmax, sparsemax, entmax-1.5. */
export type WeightingName = 'soft' | 'hard' | 'sample' | 'gumbel' | 'sparsemax' | 'entmax15';

/** What a weighting function is called with besides the scores. */
export interface WeightingContext extends WeightingOptions {
  /** Generator for stochastic weightings. */
  generator?: Generator;
  /** False in evaluation mode: the built-in stochastic weightings then become deterministic. */
  training?: boolean;
}

/** A weighting's result when it has more to say than the weights (sampling returns log-probabilities). */
export interface WeightingResult {
  /** `[..., L, S]`. */
  weights: Tensor;
  /** `[..., L]`, for REINFORCE. */
  logProbability?: Tensor;
  /** int32 `[..., L]`, the chosen key (-1 for a fully masked row). */
  indices?: Tensor;
}

/**
 * Turns scores `[..., L, S]` into weights `[..., L, S]`, honouring `options.mask` (bool, true =
 * may attend, or additive). The built-ins ({@link softWeights}, {@link sparsemaxWeights},
 * {@link entmax15Weights}, …) have this type, so any of them, or your own, can be passed to
 * `attend`.
 *
 * @example
 * ```ts
 * const sharpened: WeightingFunction = (scores, options) => softWeights(scores.mul(4), options);
 * attend(scores, value, { weighting: sharpened });
 * ```
 */
export type WeightingFunction = (scores: Tensor, options: WeightingContext) => Tensor | WeightingResult;

/** A weighting by name, by name with settings, or as a function. */
export type Weighting =
  | WeightingName
  | WeightingFunction
  | { kind: 'soft' }
  | { kind: 'sparsemax' }
  | { kind: 'entmax15' }
  | { kind: 'hard'; straightThrough?: boolean }
  | { kind: 'sample'; temperature?: number; generator?: Generator }
  | { kind: 'gumbel'; temperature?: number; hard?: boolean; generator?: Generator };

/**
 * Resolves a {@link Weighting} to a {@link WeightingFunction}. In evaluation mode
 * (`training: false`) sampling returns the most likely key and Gumbel-softmax drops its noise
 * (`softmax(scores / τ)`, or its argmax when `hard`), so inference is deterministic.
 *
 * @example
 * ```ts
 * const weighting = resolveWeighting({ kind: 'gumbel', temperature: 0.5, hard: true });
 * weighting(scores, { mask }); // [..., L, S]
 * ```
 */
export function resolveWeighting(weighting: Weighting = 'soft'): WeightingFunction {
  if (typeof weighting === 'function') return weighting;
  const spec = typeof weighting === 'string' ? { kind: weighting } : weighting;
  switch (spec.kind) {
    case 'soft':
      return (scores, options) => softWeights(scores, options);
    case 'sparsemax':
      return (scores, options) => sparsemaxWeights(scores, options);
    case 'entmax15':
      return (scores, options) => entmax15Weights(scores, options);
    case 'hard': {
      const through = 'straightThrough' in spec && spec.straightThrough === true;
      return (scores, options) => hardWeights(scores, { ...options, straightThrough: through });
    }
    case 'sample': {
      const temperature = ('temperature' in spec ? spec.temperature : undefined) ?? 1;
      checkTemperature('resolveWeighting', temperature);
      const own = 'generator' in spec ? spec.generator : undefined;
      return (scores, options) => {
        const generator = own ?? options.generator;
        return sampleWeights(scores, { mask: options.mask ?? null, temperature, greedy: options.training === false, ...(generator ? { generator } : {}) });
      };
    }
    case 'gumbel': {
      const temperature = ('temperature' in spec ? spec.temperature : undefined) ?? 1;
      checkTemperature('resolveWeighting', temperature);
      const hard = 'hard' in spec && spec.hard === true;
      const own = 'generator' in spec ? spec.generator : undefined;
      return (scores, options) => {
        const generator = own ?? options.generator;
        return gumbelSoftmaxWeights(scores, { mask: options.mask ?? null, temperature, hard, noise: options.training !== false, ...(generator ? { generator } : {}) });
      };
    }
    default:
      throw new ValueError('resolveWeighting', 'weighting', `unknown weighting '${String((spec as { kind: unknown }).kind)}'; expected soft, hard, sample, gumbel, sparsemax, entmax15 or a function`);
  }
}
