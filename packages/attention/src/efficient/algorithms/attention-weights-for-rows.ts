/**
 * `attentionWeightsForRows`: the attention weights of a few query rows, without the rest of the
 * `L × S` matrix, for visualising long sequences computed with `memoryEfficientAttention`.
 *
 * Legend: `B` batch, `H` heads, `L` query length, `S` key length, `D` head dim, `R` rows asked for.
 */
import { ShapeError, Tensor, ValueError, indexSelect, matmul, noGrad, where } from '@heed/tensor';
import { keepForRows, prepareAttentionInputs, type DenseAttentionOptions } from './attention-inputs.js';

/** Options of {@link attentionWeightsForRows}. */
export interface AttentionWeightsForRowsOptions extends DenseAttentionOptions {
  /** The query rows (indices in `[0, L)`, any order, repeats allowed). */
  rows: readonly number[] | Int32Array;
  /**
   * The per-row log-sum-exp `[..., L]` returned by `memoryEfficientAttention(…, { returnLogSumExp: true })`.
   * With it the weights are `exp(score - logSumExp)`: exactly the weights that made that output,
   * with no gradient. Without it they are recomputed with a softmax over each row, and are
   * differentiable.
   */
  logSumExp?: Tensor | null;
}

/**
 * The softmax attention weights of chosen query rows, `[..., R, S]`, computing only `R × S`
 * scores. Use the same `mask`, `causal`, `scale` and `window` as the attention call being
 * inspected. Rows with no allowed key are all zeros.
 *
 * @param query - `[..., L, D]`.
 * @param key - `[..., S, D]`, same leading dims.
 * @param options.rows - which query rows.
 * @param options.logSumExp - `[..., L]` from `memoryEfficientAttention`, to reuse its normaliser.
 * @returns `[..., R, S]` weights; each row sums to 1 (or is all 0 when fully masked).
 * @example
 * ```ts
 * const { output, logSumExp } = memoryEfficientAttention(q, k, v, { causal: true, returnLogSumExp: true });
 * const weights = attentionWeightsForRows(q, k, { rows: [0, 4095], causal: true, logSumExp }); // [B, H, 2, S]
 * ```
 */
export function attentionWeightsForRows(query: Tensor, key: Tensor, options: AttentionWeightsForRowsOptions): Tensor {
  const op = 'attentionWeightsForRows';
  const inputs = prepareAttentionInputs(op, query, key, null, options);
  const given = options.rows as unknown;
  if (!(Array.isArray(given) || given instanceof Int32Array)) throw new ValueError(op, 'rows', 'expected an array of query row indices');
  const rows = Int32Array.from(options.rows);
  rows.forEach((row, index) => {
    if (!Number.isInteger(options.rows[index]) || row < 0 || row >= inputs.queryLength) {
      throw new ValueError(op, 'rows', `row ${options.rows[index]} (rows[${index}]) is outside the ${inputs.queryLength} queries of query ${JSON.stringify(query.shape)}`);
    }
  });
  const axis = query.rank - 2;
  const rowIndex = Tensor.fromData(rows, [rows.length], 'int32', query.backend);
  const scores = matmul(indexSelect(query, axis, rowIndex), key.transpose(-2, -1)).mul(inputs.scale);
  const keep = keepForRows(inputs, rows, rowIndex, query.backend);
  const logSumExp = options.logSumExp;
  if (!logSumExp) return (keep ? where(keep, scores, -Infinity) : scores).softmax(-1);
  const expected = [...inputs.batch, inputs.queryLength];
  if (!(logSumExp instanceof Tensor) || logSumExp.rank !== expected.length || logSumExp.shape.some((size, index) => size !== expected[index])) {
    const shape = logSumExp instanceof Tensor ? logSumExp.shape : [];
    throw new ShapeError(op, 'logSumExp', `[${expected.join(', ')}] (the query's leading dims and L)`, shape);
  }
  return noGrad(() => {
    const rowSums = indexSelect(logSumExp, axis, rowIndex).unsqueeze(-1);
    const finite = rowSums.gt(-Infinity);
    const allowed = keep ? finite.logicalAnd(keep) : finite;
    return where(allowed, scores.sub(where(finite, rowSums, 0)).exp(), 0);
  });
}
