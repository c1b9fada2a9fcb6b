import { ShapeError, Tensor, ValueError, add, broadcastShapes, dropout, formatShape, matmul, type Generator } from '@heed/tensor';
import { normalizeMask, type AttentionMask } from './masks.js';
import { resolveWeighting, type Weighting } from './weighting/weighting.js';

/** Options of {@link attend}. */
export interface AttendOptions {
  /** Bool (true = may attend) or additive mask, broadcastable to the scores `[..., L, S]`. */
  mask?: AttentionMask | null;
  /** And a bottom-right aligned causal mask in: query `i` sees key `j` iff `j <= i + S - L`. */
  causal?: boolean;
  /** How scores become weights (default `'soft'`, a masked softmax). */
  weighting?: Weighting;
  /** Dropout probability on the weights (default 0), applied only while `training`. */
  dropout?: number;
  /** Generator for dropout and stochastic weightings (default: the global one). */
  generator?: Generator;
  /** Training mode (default true): dropout on, stochastic weightings sample. */
  training?: boolean;
}

/** The outcome of an attention step. */
export interface AttentionResult {
  /** The attended values, `[..., L, Dv]`. */
  output: Tensor;
  /** The weights actually applied (after dropout), `[..., L, S]`; zero rows where no key was allowed. */
  weights: Tensor;
  /** For sampled weightings: `log p` of the chosen keys, `[..., L]` (REINFORCE). */
  logProbability?: Tensor;
  /** For sampled weightings: the chosen keys, int32 `[..., L]`. */
  indices?: Tensor;
}

/**
 * Combines any scores with any weighting: `weights = weighting(scores masked)`, then
 * `output = weights · value`. This is the second half of every attention; pair it with any score
 * function from `@heed/scoring`. A query row with no allowed key gets zero weights and a zero
 * output, with zero gradients (never NaN).
 *
 * Legend: `B` batch, `H` heads, `L` query length, `S` key length, `Dv` value depth; leading dims broadcast.
 *
 * @param scores - `[..., L, S]`.
 * @param value - `[..., S, Dv]`.
 * @returns `{ output [..., L, Dv], weights [..., L, S] }` (plus `logProbability`/`indices` when sampling).
 * @example
 * ```ts
 * const scores = additiveScore(query, key, parameters);         // [B, L, S]
 * const { output, weights } = attend(scores, value, { weighting: 'sparsemax', mask: paddingMask([3, 5], 5).squeeze(1) });
 * ```
 */
export function attend(scores: Tensor, value: Tensor, options: AttendOptions = {}): AttentionResult {
  return attendAs('attend', scores, value, options);
}

/** {@link attend}, reporting errors as `op` (for functions built on it). */
export function attendAs(op: string, scores: Tensor, value: Tensor, options: AttendOptions = {}): AttentionResult {
  if (scores.rank < 2) throw new ShapeError(op, 'scores', '[..., L, S]', scores.shape);
  const keys = scores.shape[scores.rank - 1];
  if (value.rank < 2 || value.shape[value.rank - 2] !== keys) {
    throw new ShapeError(op, 'value', `[..., S = ${keys}, Dv]`, value.shape, `scores are ${formatShape(scores.shape)}`);
  }
  try {
    broadcastShapes(op, scores.shape.slice(0, -2), value.shape.slice(0, -2));
  } catch {
    throw new ShapeError(op, 'value', `batch dimensions broadcastable with scores ${formatShape(scores.shape)}`, value.shape);
  }
  const p = options.dropout ?? 0;
  if (!(p >= 0 && p <= 1)) throw new ValueError(op, 'dropout', `must be in [0, 1], got ${p}`);
  const { keep, bias } = normalizeMask(op, options.mask, scores.shape, { broadcast: false, causal: options.causal ?? false });
  const weighting = resolveWeighting(options.weighting);
  const training = options.training ?? true;
  const result = weighting(bias ? add(scores, bias) : scores, {
    mask: keep,
    training,
    ...(options.generator ? { generator: options.generator } : {}),
  });
  const { weights: raw, ...extra } = result instanceof Tensor ? { weights: result } : result;
  const weights = p > 0 ? dropout(raw, p, training, options.generator) : raw;
  return { output: matmul(weights, value), weights, ...extra };
}
