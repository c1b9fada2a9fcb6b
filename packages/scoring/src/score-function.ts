import { Module, ShapeError, broadcastShapes, formatShape, type Tensor } from '@heed/tensor';

/**
 * A score function: maps queries `[..., L, Dq]` and keys `[..., S, Dk]` to scores `[..., L, S]`
 * (higher = more relevant). Leading batch dimensions (`B`, or `B, H`) broadcast. Every built-in
 * score is one, and any function of this type can be passed wherever heed accepts a score.
 *
 * Legend: `B` batch, `H` heads, `L` query length, `S` key length, `Dq`/`Dk` query/key depth.
 *
 * @example
 * ```ts
 * const negativeDistance: ScoreFunction = (query, key) =>
 *   query.unsqueeze(-2).sub(key.unsqueeze(-3)).square().sum(-1).neg();
 * ```
 */
export type ScoreFunction = (query: Tensor, key: Tensor) => Tensor;

/** The names of the built-in scores (`concat` is Luong's name for `additive`, `bilinear` for `general`). */
export type ScoreName = 'dot' | 'scaledDot' | 'cosine' | 'general' | 'bilinear' | 'additive' | 'concat';

/**
 * The base class of score modules: a {@link ScoreFunction} that owns its parameters (a
 * `Module`, so they train, save and load with the model that holds it).
 *
 * @example
 * ```ts
 * class MyScore extends ScoreModule {
 *   readonly name = 'my';
 *   forward(query: Tensor, key: Tensor): Tensor { return dotScore(query, key).mul(2); }
 * }
 * ```
 */
export abstract class ScoreModule extends Module {
  /** The score's name, for printing. */
  abstract readonly name: string;
  /** Scores of queries `[..., L, Dq]` against keys `[..., S, Dk]` → `[..., L, S]`. */
  abstract forward(query: Tensor, key: Tensor): Tensor;

  /** This module as a plain {@link ScoreFunction} (bound to its parameters). */
  asFunction(): ScoreFunction {
    return (query, key) => this.forward(query, key);
  }
}

/**
 * Checks the shapes every score shares: `query` `[..., L, Dq]`, `key` `[..., S, Dk]`, batch
 * dimensions broadcastable, and (with `sameDepth`) `Dq = Dk`. Returns `[Dq, Dk]`.
 * Raises `ShapeError` naming the argument and both shapes.
 *
 * @example
 * ```ts
 * const [depth] = checkScoreInputs('myScore', query, key, true);
 * ```
 */
export function checkScoreInputs(op: string, query: Tensor, key: Tensor, sameDepth: boolean): [number, number] {
  if (query.rank < 2) throw new ShapeError(op, 'query', '[..., L, Dq]', query.shape);
  if (key.rank < 2) throw new ShapeError(op, 'key', '[..., S, Dk]', key.shape);
  const queryDepth = query.shape[query.rank - 1];
  const keyDepth = key.shape[key.rank - 1];
  if (sameDepth && queryDepth !== keyDepth) {
    throw new ShapeError(op, 'key', `[..., S, ${queryDepth}]`, key.shape, `query and key depths differ: query is ${formatShape(query.shape)}, key is ${formatShape(key.shape)}`);
  }
  try {
    broadcastShapes(op, query.shape.slice(0, -2), key.shape.slice(0, -2));
  } catch {
    throw new ShapeError(op, 'key', `batch dimensions broadcastable with query ${formatShape(query.shape)}`, key.shape);
  }
  return [queryDepth, keyDepth];
}

/** Checks that a parameter has `expected` shape; `pattern` names its dimensions, e.g. `[Dq, Dk]`. */
export function checkParameter(op: string, argument: string, parameter: Tensor, expected: readonly number[], pattern: string): void {
  if (parameter.rank !== expected.length || parameter.shape.some((size, axis) => size !== expected[axis])) {
    throw new ShapeError(op, argument, `${pattern} = ${formatShape(expected)}`, parameter.shape);
  }
}
