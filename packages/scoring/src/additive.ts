import {
  ShapeError,
  ValueError,
  add,
  concat,
  linear,
  matmul,
  mul,
  noGrad,
  record,
  reshape,
  sub,
  sum,
  tanh,
  uniform,
  type Generator,
  type Tensor,
} from '@heed/tensor';
import { ScoreModule, checkParameter, checkScoreInputs } from './score-function.js';

/** The parameters of the additive score. */
export interface AdditiveParameters {
  /** `W_q`, `[A, Dq]`. */
  queryWeight: Tensor;
  /** `W_k`, `[A, Dk]`. */
  keyWeight: Tensor;
  /** `v`, `[A]`. */
  v: Tensor;
  /** Optional bias `b` `[A]` inside the tanh. */
  bias?: Tensor | null;
}

/** The [..., L, S, A] block is computed this many elements at a time, never all at once. */
const CHUNK_ELEMENTS = 1 << 18;

/** Query rows per chunk so that one chunk of `tanh(…)` holds at most CHUNK_ELEMENTS values. */
function rowsPerChunk(projectedQuery: Tensor, projectedKey: Tensor): number {
  const batch = Math.max(
    projectedQuery.shape.slice(0, -2).reduce((product, size) => product * size, 1),
    projectedKey.shape.slice(0, -2).reduce((product, size) => product * size, 1),
  );
  const perRow = batch * projectedKey.shape[projectedKey.rank - 2] * projectedKey.shape[projectedKey.rank - 1];
  return Math.max(1, Math.floor(CHUNK_ELEMENTS / Math.max(1, perRow)));
}

/**
 * `vᵀ tanh(pq_l + pk_s)` for every (l, s) pair, from projected queries `[..., L, A]` and keys
 * `[..., S, A]`. The `[..., L, S, A]` tanh block is built a chunk of query rows at a time in the
 * forward and recomputed in the backward, so memory stays O(chunk) rather than O(L·S·A).
 */
function pairwiseTanhScore(projectedQuery: Tensor, projectedKey: Tensor, v: Tensor): Tensor {
  const rowAxis = projectedQuery.rank - 2;
  const rows = projectedQuery.shape[rowAxis];
  const step = rowsPerChunk(projectedQuery, projectedKey);
  const keyExpanded = projectedKey.unsqueeze(-3); // [..., 1, S, A]
  const block = (start: number, end: number): Tensor => tanh(add(projectedQuery.slice(rowAxis, start, end).unsqueeze(-2), keyExpanded));
  const chunks: [number, number][] = [];
  for (let start = 0; start < rows; start += step) chunks.push([start, Math.min(rows, start + step)]);
  if (chunks.length === 0) chunks.push([0, 0]);
  const out = noGrad(() => {
    const parts = chunks.map(([start, end]) => matmul(block(start, end), v));
    return parts.length === 1 ? parts[0] : concat(parts, rowAxis);
  });
  return record('additiveScore', out, [projectedQuery, projectedKey, v], (grad) => {
    let keyGrad: Tensor | null = null;
    let vGrad: Tensor | null = null;
    const queryGrads: Tensor[] = [];
    for (const [start, end] of chunks) {
      const activation = block(start, end); // [..., c, S, A]
      const outer = grad.slice(rowAxis, start, end).unsqueeze(-1); // [..., c, S, 1]
      const partV = reshape(sum(mul(outer, activation), [...activation.shape.keys()].slice(0, -1)), [v.size]);
      vGrad = vGrad ? add(vGrad, partV) : partV;
      const inner = mul(mul(outer, sub(1, mul(activation, activation))), v); // d score / d (pq + pk)
      queryGrads.push(sum(inner, -2));
      const partKey = sum(inner, -3);
      keyGrad = keyGrad ? add(keyGrad, partKey) : partKey;
    }
    return [queryGrads.length === 1 ? queryGrads[0] : concat(queryGrads, rowAxis), keyGrad, vGrad];
  });
}

/**
 * Additive (concat) score `vᵀ tanh(W_q q + W_k k + b)` (Bahdanau et al. 2015; Luong's "concat").
 * The `[..., L, S, A]` hidden block is never held whole: it is computed a chunk of query rows at
 * a time and recomputed in the backward pass.
 *
 * Legend: `L` query length, `S` key length, `Dq`/`Dk` depths, `A` attention (hidden) size;
 * leading dims broadcast.
 *
 * @param query - `[..., L, Dq]`.
 * @param key - `[..., S, Dk]`.
 * @param parameters - `queryWeight` `[A, Dq]`, `keyWeight` `[A, Dk]`, `v` `[A]`, optional `bias` `[A]`.
 * @returns scores `[..., L, S]`.
 * @example
 * ```ts
 * const scores = additiveScore(query, key, { queryWeight: randn([16, 8]), keyWeight: randn([16, 6]), v: randn([16]) });
 * ```
 */
export function additiveScore(query: Tensor, key: Tensor, parameters: AdditiveParameters): Tensor {
  const op = 'additiveScore';
  const [queryDepth, keyDepth] = checkScoreInputs(op, query, key, false);
  const { queryWeight, keyWeight, v, bias } = parameters;
  if (v.rank !== 1) throw new ShapeError(op, 'v', '[A]', v.shape);
  const hidden = v.shape[0];
  checkParameter(op, 'queryWeight', queryWeight, [hidden, queryDepth], '[A, Dq]');
  checkParameter(op, 'keyWeight', keyWeight, [hidden, keyDepth], '[A, Dk]');
  if (bias) checkParameter(op, 'bias', bias, [hidden], '[A]');
  return pairwiseTanhScore(linear(query, queryWeight), linear(key, keyWeight, bias ?? null), v);
}

/** Options of {@link AdditiveScore}. */
export interface AdditiveScoreOptions {
  /** Hidden size `A` (default `Dk`). */
  attentionDim?: number;
  /** Learn a bias `b` `[A]` inside the tanh (default false). */
  bias?: boolean;
  /** Generator for the initial weights (default: the global one). */
  generator?: Generator;
}

/**
 * {@link additiveScore} as a module holding `queryWeight` `[A, Dq]`, `keyWeight` `[A, Dk]`,
 * `v` `[A]` and optionally `bias` `[A]`, each initialised like the `nn.Linear` it stands for:
 * U(±1/√Dq), U(±1/√Dk), U(±1/√A), U(±1/√Dk).
 *
 * @example
 * ```ts
 * const score = new AdditiveScore(512, 256, { attentionDim: 128 });
 * score.forward(decoderState, encoderOutputs); // [B, 1, 512], [B, S, 256] → [B, 1, S]
 * ```
 */
export class AdditiveScore extends ScoreModule {
  readonly name = 'additive';
  readonly queryWeight: Tensor;
  readonly keyWeight: Tensor;
  readonly v: Tensor;
  readonly bias: Tensor | null;
  /** Hidden size `A`. */
  readonly attentionDim: number;

  constructor(
    readonly queryDim: number,
    readonly keyDim: number = queryDim,
    options: AdditiveScoreOptions = {},
  ) {
    super();
    this.attentionDim = options.attentionDim ?? keyDim;
    for (const [name, value] of [['queryDim', queryDim], ['keyDim', keyDim], ['attentionDim', this.attentionDim]] as const) {
      if (!Number.isInteger(value) || value < 1) throw new ValueError('AdditiveScore', name, `must be a positive integer, got ${value}`);
    }
    const random = options.generator ? { generator: options.generator } : {};
    const bounded = (shape: number[], fanIn: number): Tensor => uniform(shape, -1 / Math.sqrt(fanIn), 1 / Math.sqrt(fanIn), random);
    const hidden = this.attentionDim;
    this.queryWeight = this.registerParameter('queryWeight', bounded([hidden, queryDim], queryDim));
    this.keyWeight = this.registerParameter('keyWeight', bounded([hidden, keyDim], keyDim));
    this.v = this.registerParameter('v', bounded([hidden], hidden));
    this.bias = this.registerParameter('bias', options.bias ? bounded([hidden], keyDim) : null);
  }

  /** `query` `[..., L, Dq]`, `key` `[..., S, Dk]` → `[..., L, S]`. */
  forward(query: Tensor, key: Tensor): Tensor {
    return additiveScore(query, key, { queryWeight: this.queryWeight, keyWeight: this.keyWeight, v: this.v, bias: this.bias });
  }
}
