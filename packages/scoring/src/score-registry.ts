import { ValueError, type Generator, type Tensor } from '@heed/tensor';
import { AdditiveScore } from './additive.js';
import { CosineScore, cosineScore } from './cosine.js';
import { DotScore, ScaledDotScore, dotScore, scaledDotScore } from './dot-product.js';
import { GeneralScore } from './general.js';
import { ScoreModule, type ScoreFunction, type ScoreName } from './score-function.js';

/** A score given by name (parameter-free ones only), as a function, or as a module. */
export type ScoreLike = ScoreName | ScoreFunction | ScoreModule;

const parameterFree = {
  dot: (query: Tensor, key: Tensor) => dotScore(query, key),
  scaledDot: (query: Tensor, key: Tensor) => scaledDotScore(query, key),
  cosine: (query: Tensor, key: Tensor) => cosineScore(query, key),
} satisfies Record<string, ScoreFunction>;

const allNames: readonly ScoreName[] = ['dot', 'scaledDot', 'cosine', 'general', 'bilinear', 'additive', 'concat'];

/** The names of every built-in score. @example `scoreNames.includes('cosine') // true` */
export const scoreNames: readonly ScoreName[] = allNames;

function isScoreName(value: unknown): value is ScoreName {
  return typeof value === 'string' && (allNames as readonly string[]).includes(value);
}

/**
 * The parameter-free built-in score called `name` (`dot`, `scaledDot`, `cosine`) as a
 * {@link ScoreFunction}. Scores with parameters (`general`/`bilinear`, `additive`/`concat`) need
 * a module: use {@link createScore}.
 *
 * @example
 * ```ts
 * const score = getScoreFunction('scaledDot');
 * score(query, key); // [B, L, S]
 * ```
 */
export function getScoreFunction(name: ScoreName): ScoreFunction {
  if (name in parameterFree) return parameterFree[name as keyof typeof parameterFree];
  if (isScoreName(name)) {
    throw new ValueError('getScoreFunction', 'name', `'${name}' has parameters; create it with createScore('${name}', { queryDim, keyDim })`);
  }
  throw new ValueError('getScoreFunction', 'name', `unknown score '${String(name)}'; expected one of ${allNames.join(', ')}`);
}

/** Options of {@link createScore}; each score reads the ones it needs. */
export interface CreateScoreOptions {
  /** `Dq` (required for `general`/`bilinear` and `additive`/`concat`). */
  queryDim?: number;
  /** `Dk` (default `Dq`). */
  keyDim?: number;
  /** Hidden size `A` of the additive score (default `Dk`). */
  attentionDim?: number;
  /** Bias inside the additive score's tanh (default false). */
  bias?: boolean;
  /** `eps` of the cosine score (default 1e-8). */
  eps?: number;
  /** Fixed scale of the scaled dot score (default 1/√D). */
  scale?: number;
  /** Generator for initial weights. */
  generator?: Generator;
}

/**
 * Creates the built-in score module called `name`.
 *
 * @example
 * ```ts
 * const score = createScore('additive', { queryDim: 512, keyDim: 256, attentionDim: 128 });
 * score.forward(query, key); // [B, L, S]
 * ```
 */
export function createScore(name: ScoreName, options: CreateScoreOptions = {}): ScoreModule {
  const needDims = (): number => {
    if (options.queryDim === undefined) throw new ValueError('createScore', 'options.queryDim', `score '${name}' has parameters and needs queryDim (and keyDim when it differs)`);
    return options.queryDim;
  };
  const random = options.generator ? { generator: options.generator } : {};
  switch (name) {
    case 'dot':
      return new DotScore();
    case 'scaledDot':
      return new ScaledDotScore(options.scale === undefined ? {} : { scale: options.scale });
    case 'cosine':
      return new CosineScore(options.eps === undefined ? {} : { eps: options.eps });
    case 'general':
    case 'bilinear':
      return new GeneralScore(needDims(), options.keyDim, random);
    case 'additive':
    case 'concat':
      return new AdditiveScore(needDims(), options.keyDim, {
        ...random,
        ...(options.attentionDim === undefined ? {} : { attentionDim: options.attentionDim }),
        bias: options.bias ?? false,
      });
    default:
      throw new ValueError('createScore', 'name', `unknown score '${String(name)}'; expected one of ${allNames.join(', ')}`);
  }
}

/**
 * Turns any {@link ScoreLike} into a {@link ScoreFunction}: a name of a parameter-free score, a
 * function (returned as is) or a module (bound to its parameters). Functions that accept a score
 * call this, so user-written scores work wherever built-in ones do.
 *
 * @example
 * ```ts
 * resolveScore('dot')(query, key);
 * resolveScore(new GeneralScore(64))(query, key);
 * resolveScore((q, k) => dotScore(q, k).neg())(query, key);
 * ```
 */
export function resolveScore(score: ScoreLike): ScoreFunction {
  if (score instanceof ScoreModule) return score.asFunction();
  if (typeof score === 'function') return score;
  return getScoreFunction(score);
}
