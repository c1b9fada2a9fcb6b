import {
  Module,
  ShapeError,
  Tensor,
  ValueError,
  abs,
  arange,
  broadcastShapes,
  div,
  exp,
  formatShape,
  le,
  logicalAnd,
  matmul,
  mul,
  sigmoid,
  softmax,
  sub,
  tanh,
  transpose,
  uniform,
  unsqueeze,
  where,
  type Generator,
} from '@heed/tensor';
import { GeneralScore, ScoreModule, resolveScore, type ScoreLike } from '@heed/scoring';
import type { AttentionResult } from './attend.js';
import { combineMasks, paddingMask, type AttentionMask } from './masks.js';
import { maskScores } from './weighting/mask-scores.js';

/** Options of {@link localAttentionWeights}. */
export interface LocalAttentionWeightsOptions {
  /** The half-width `D`: keys `j` with `|j − p| ≤ D` are in the window (required, > 0). */
  window: number;
  /** Multiply by the Gaussian `exp(−(j − p)² / (2σ²))` (default true, local-p; local-m has none). */
  gaussian?: boolean;
  /** σ of the Gaussian (default `D / 2`, as the paper). */
  sigma?: number;
  /** Bool (true = may attend) or additive mask, broadcastable to `[..., L, S]`. */
  mask?: AttentionMask | null;
}

function checkPositive(op: string, argument: string, value: number): void {
  if (!(value > 0 && Number.isFinite(value))) throw new ValueError(op, argument, `must be a finite number > 0, got ${value}`);
}

function localWeights(op: string, scores: Tensor, position: Tensor, options: LocalAttentionWeightsOptions): Tensor {
  if (scores.rank < 2) throw new ShapeError(op, 'scores', '[..., L, S]', scores.shape);
  checkPositive(op, 'window', options.window);
  const sigma = options.sigma ?? options.window / 2;
  checkPositive(op, 'sigma', sigma);
  let fits = position.rank >= 1 && position.rank <= scores.rank - 1;
  try {
    fits = fits && broadcastShapes(op, [...position.shape, 1], scores.shape).every((size, axis) => size === scores.shape[axis]);
  } catch {
    fits = false;
  }
  if (!fits) throw new ShapeError(op, 'position', `broadcastable to [..., L] of the scores ${formatShape(scores.shape)}`, position.shape);
  const keys = scores.shape[scores.rank - 1];
  const offsets = sub(arange(keys, undefined, 1, { backend: scores.backend }), unsqueeze(position.float(), -1)); // [..., L, S]: j − p
  // The window's edges come from p without a gradient: they are a step function of p.
  const inWindow = le(abs(offsets.detach()), options.window);
  const { scores: masked, keep } = maskScores(op, scores, options.mask);
  const aligned = softmax(where(keep ? logicalAnd(keep, inWindow) : inWindow, masked, -Infinity), -1);
  if (options.gaussian === false) return aligned;
  return mul(aligned, exp(div(mul(offsets, offsets), -2 * sigma * sigma)));
}

/**
 * Local attention weights (Luong, Pham & Manning 2015, "Effective Approaches to Attention-based
 * Neural Machine Translation"): the softmax of the scores over the window `[p − D, p + D]`
 * around a position `p` per query, times a Gaussian centred at `p`:
 * `a_t(j) = softmax_{|j − p_t| ≤ D}(score_t)_j · exp(−(j − p_t)² / (2σ²))`, `σ = D / 2`. As in the
 * paper the weights are **not** renormalised after the Gaussian, so rows sum to less than 1.
 * Keys are indexed from 0. The Gaussian is differentiable in `p` (so a predicted `p` learns);
 * the window's edges are a step function of `p` and pass no gradient. A row whose window
 * holds no allowed key gives zeros.
 *
 * Legend: `B` batch, `L` query length, `S` key length; leading dims pass through.
 *
 * @param scores - `[..., L, S]`, any score (Luong's general score, dot, …).
 * @param position - `p`, `[..., L]`, a float key index per query.
 * @returns weights `[..., L, S]`, zero outside each window.
 * @example
 * ```ts
 * const scores = dotScore(decoderStates, encoderOutputs);                  // [B, L, S]
 * const weights = localAttentionWeights(scores, tensor([[1.5, 3]]), { window: 2 });
 * ```
 */
export function localAttentionWeights(scores: Tensor, position: Tensor, options: LocalAttentionWeightsOptions): Tensor {
  return localWeights('localAttentionWeights', scores, position, options);
}

/** Options of the {@link LocalPAttention} module. */
export interface LocalPAttentionOptions {
  /** The half-width `D` (default 10, the paper's value). */
  window?: number;
  /**
   * `'predictive'` (default, local-p): `p_t = (S − 1) · sigmoid(v_pᵀ tanh(W_p h_t))`, with the
   * Gaussian. `'monotonic'` (local-m): `p_t = t`, the query's own index, and no Gaussian.
   */
  mode?: 'predictive' | 'monotonic';
  /** `Dk` (default `queryDim`), for the default general score. */
  keyDim?: number;
  /** The hidden size of the position network, rows of `W_p` (default `queryDim`). */
  positionDim?: number;
  /** The score (default Luong's `general`, a {@link GeneralScore} `[Dq, Dk]`); a module is registered as `score`. */
  score?: ScoreLike;
  /** Override the Gaussian (default: on for local-p, off for local-m). */
  gaussian?: boolean;
  /** Generator for the initial weights. */
  generator?: Generator;
}

/** Options of {@link LocalPAttention.forward}. */
export interface LocalPAttentionCallOptions {
  /** Bool (true = may attend) or additive mask, broadcastable to `[B, L, S]`. */
  mask?: AttentionMask | null;
  /** Source lengths `[B]`: keys past a length are masked and `S` in `p_t` is that length. */
  keyLengths?: Tensor | readonly number[];
  /** Local-m: the index of the first query (default 0), for decoding one step at a time. */
  offset?: number;
}

/** {@link LocalPAttention.forward}'s result: the attention result plus the positions `p_t` `[..., L]`. */
export interface LocalAttentionResult extends AttentionResult {
  position: Tensor;
}

/**
 * Luong et al.'s (2015) local attention as a module. Local-p (`mode: 'predictive'`, default)
 * predicts an aligned source position per target state `h_t`, `p_t = S · sigmoid(v_pᵀ tanh(W_p
 * h_t))` in the paper, whose source positions run 1…S; keys here are indexed 0…S−1, so we use
 * `p_t = (S − 1) · sigmoid(…)`, which spans exactly the keys. It attends within `[p_t − D,
 * p_t + D]` with the Gaussian of {@link localAttentionWeights} (not renormalised, as the
 * paper). Local-m (`mode: 'monotonic'`) sets `p_t = t` and uses the plain windowed softmax.
 * Parameters: `positionWeight` `W_p` `[A, Dq]`, `positionVector` `v_p` `[A]` (local-p only,
 * initialised U(±1/√fan-in) like `nn.Linear`) and the score's.
 *
 * Legend: `B` batch, `L` target (query) length, `S` source (key) length, `Dq`/`Dk`/`Dv` depths,
 * `A` hidden size of the position network.
 *
 * @example
 * ```ts
 * const attention = new LocalPAttention(64, { window: 4, generator: new Generator(0) }); // general score [64, 64]
 * const { output, weights, position } = attention.forward(decoderStates, encoderOutputs); // [B, L, 64], [B, L, S], [B, L]
 * ```
 */
export class LocalPAttention extends Module {
  readonly window: number;
  readonly mode: 'predictive' | 'monotonic';
  readonly score: ScoreLike;
  /** `W_p`, `[A, Dq]` (null for local-m). */
  readonly positionWeight: Tensor | null;
  /** `v_p`, `[A]` (null for local-m). */
  readonly positionVector: Tensor | null;
  readonly #score: (query: Tensor, key: Tensor) => Tensor;

  constructor(
    readonly queryDim: number,
    readonly options: LocalPAttentionOptions = {},
  ) {
    super();
    const op = 'LocalPAttention';
    if (!Number.isInteger(queryDim) || queryDim < 1) throw new ValueError(op, 'queryDim', `must be a positive integer, got ${queryDim}`);
    this.window = options.window ?? 10;
    checkPositive(op, 'window', this.window);
    this.mode = options.mode ?? 'predictive';
    if (this.mode !== 'predictive' && this.mode !== 'monotonic') throw new ValueError(op, 'mode', `must be 'predictive' or 'monotonic', got '${String(this.mode)}'`);
    const positionDim = options.positionDim ?? queryDim;
    if (!Number.isInteger(positionDim) || positionDim < 1) throw new ValueError(op, 'positionDim', `must be a positive integer, got ${positionDim}`);
    const random = options.generator ? { generator: options.generator } : {};
    this.score = options.score ?? new GeneralScore(queryDim, options.keyDim ?? queryDim, random);
    if (this.score instanceof ScoreModule) this.registerModule('score', this.score);
    this.#score = resolveScore(this.score);
    const predictive = this.mode === 'predictive';
    const inBound = 1 / Math.sqrt(queryDim);
    const hiddenBound = 1 / Math.sqrt(positionDim);
    this.positionWeight = this.registerParameter('positionWeight', predictive ? uniform([positionDim, queryDim], -inBound, inBound, random) : null);
    this.positionVector = this.registerParameter('positionVector', predictive ? uniform([positionDim], -hiddenBound, hiddenBound, random) : null);
  }

  /**
   * The positions `p_t`, `[..., L]`: predicted (local-p) or `offset + t` (local-m).
   *
   * @param query - `[..., L, Dq]`.
   * @param keyLength - `S`, or the source lengths as a float tensor `[B, 1]` (local-p).
   * @param offset - the index of the first query (local-m).
   * @returns `[..., L]`.
   */
  position(query: Tensor, keyLength: number | Tensor, offset = 0): Tensor {
    const queries = query.shape[query.rank - 2];
    if (this.positionWeight === null || this.positionVector === null) {
      return arange(offset, offset + queries, 1, { backend: query.backend }).expand(query.shape.slice(0, -1));
    }
    const hidden = tanh(matmul(query, transpose(this.positionWeight, 0, 1))); //   [..., L, A]
    const unit = sigmoid(matmul(hidden, unsqueeze(this.positionVector, -1))).squeeze(-1); // [..., L]
    return mul(unit, typeof keyLength === 'number' ? keyLength - 1 : sub(keyLength, 1));
  }

  /**
   * @param query - `[..., L, Dq]` (decoder states `h_t`).
   * @param key - `[..., S, Dk]` (encoder states).
   * @param value - `[..., S, Dv]` (default `key`).
   * @returns `{ output [..., L, Dv], weights [..., L, S], position [..., L] }`.
   */
  forward(query: Tensor, key: Tensor, value: Tensor = key, options: LocalPAttentionCallOptions = {}): LocalAttentionResult {
    const op = 'LocalPAttention';
    if (query.rank < 2 || query.shape[query.rank - 1] !== this.queryDim) throw new ShapeError(op, 'query', `[..., L, Dq = ${this.queryDim}]`, query.shape);
    const scores = this.#score(query, key); // [..., L, S]
    const keys = scores.shape[scores.rank - 1];
    if (value.rank < 2 || value.shape[value.rank - 2] !== keys) throw new ShapeError(op, 'value', `[..., S = ${keys}, Dv]`, value.shape, `key is ${formatShape(key.shape)}`);
    const offset = options.offset ?? 0;
    if (!Number.isInteger(offset) || offset < 0) throw new ValueError(op, 'offset', `must be a non-negative integer, got ${offset}`);
    let mask: AttentionMask | null = options.mask ?? null;
    let length: number | Tensor = keys;
    if (options.keyLengths !== undefined) {
      const lengths = options.keyLengths instanceof Tensor ? options.keyLengths.float() : Tensor.fromData(Float32Array.from(options.keyLengths), [options.keyLengths.length], 'float32', query.backend);
      if (query.rank !== 3 || lengths.rank !== 1 || lengths.shape[0] !== query.shape[0]) {
        throw new ShapeError(op, 'keyLengths', `[B = ${query.rank === 3 ? query.shape[0] : '?'}] with a query [B, L, Dq]`, lengths.shape);
      }
      mask = combineMasks(mask, paddingMask(lengths, keys).reshape([query.shape[0], 1, keys]));
      length = unsqueeze(lengths, -1);
    }
    const position = this.position(query, length, offset);
    const weights = localWeights(op, scores, position, {
      window: this.window,
      gaussian: this.options.gaussian ?? this.mode === 'predictive',
      mask,
    });
    return { output: matmul(weights, value), weights, position };
  }
}
