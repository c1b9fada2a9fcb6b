/**
 * `@heed/scoring`: attention score functions. Each maps queries `[..., L, Dq]` and keys
 * `[..., S, Dk]` to scores `[..., L, S]`, as a plain function and as a module that holds its
 * parameters.
 *
 * Dimension legend: `B` batch, `H` heads, `L` query length, `S` key length, `D`/`Dq`/`Dk` depth,
 * `A` hidden size of the additive score.
 *
 * @packageDocumentation
 */
export { ScoreModule, checkParameter, checkScoreInputs, type ScoreFunction, type ScoreName } from './score-function.js';
export { DotScore, ScaledDotScore, dotScore, scaledDotScore, type ScaledDotOptions } from './dot-product.js';
export { CosineScore, cosineScore, type CosineOptions } from './cosine.js';
export { GeneralScore, generalScore, type GeneralScoreOptions } from './general.js';
export { AdditiveScore, additiveScore, type AdditiveParameters, type AdditiveScoreOptions } from './additive.js';
export { createScore, getScoreFunction, resolveScore, scoreNames, type CreateScoreOptions, type ScoreLike } from './score-registry.js';
