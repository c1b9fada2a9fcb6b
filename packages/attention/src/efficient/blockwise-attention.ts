/**
 * The composed path of `memoryEfficientAttention`, for backends without a fused attention
 * kernel: query blocks of `R` rows, each against every key, with a custom gradient rule that
 * recomputes each block's weights in the backward pass. Only `[..., R, S]` scores exist at a
 * time; what is kept for backward is the output and the per-row log-sum-exp.
 *
 * Legend: `L` query length, `S` key length, `R` rows per block, `D`/`Dv` head/value dims.
 */
import { concat, matmul, noGrad, record, where, type Tensor } from '@heed/tensor';
import { keepForRows, type AttentionInputs } from './attention-inputs.js';

/** Elements of one block's score matrix the default block size aims for (16 MiB of float32). */
const BLOCK_ELEMENTS = 2 ** 22;

/** @internal Rows per block: `requested`, or as many as keep a block's scores near 4 M elements. */
export function rowsPerBlock(inputs: AttentionInputs, requested: number | undefined): number {
  if (requested !== undefined) return requested;
  const perRow = Math.max(1, inputs.keyLength * inputs.batch.reduce((product, size) => product * size, 1));
  return Math.max(1, Math.min(inputs.queryLength, Math.floor(BLOCK_ELEMENTS / perRow)));
}

function range(start: number, end: number): Int32Array {
  return Int32Array.from({ length: end - start }, (_, index) => start + index);
}

/** One block's masked scores `[..., R, S]` for query rows `[start, end)`. */
function blockScores(query: Tensor, key: Tensor, inputs: AttentionInputs, start: number, end: number): { scores: Tensor; queries: Tensor } {
  const queries = query.slice(query.rank - 2, start, end);
  const scores = matmul(queries, key.transpose(-2, -1)).mul(inputs.scale);
  const keep = keepForRows(inputs, range(start, end), { start, end }, query.backend);
  return { scores: keep ? where(keep, scores, -Infinity) : scores, queries };
}

/**
 * @internal Memory-efficient attention from composed ops, block by block over the queries.
 * Returns the output (with a recomputing gradient rule) and the log-sum-exp `[..., L]`.
 */
export function blockwiseAttention(
  query: Tensor,
  key: Tensor,
  value: Tensor,
  inputs: AttentionInputs,
  blockRows: number,
): { output: Tensor; logSumExp: Tensor } {
  const axis = query.rank - 2;
  const blocks: [number, number][] = [];
  for (let start = 0; start < inputs.queryLength; start += blockRows) blocks.push([start, Math.min(inputs.queryLength, start + blockRows)]);
  const forward = noGrad(() => {
    const outputs: Tensor[] = [];
    const sums: Tensor[] = [];
    for (const [start, end] of blocks) {
      const { scores } = blockScores(query, key, inputs, start, end);
      outputs.push(matmul(scores.softmax(-1), value));
      sums.push(scores.logSumExp(-1));
    }
    return { output: concat(outputs, axis), logSumExp: concat(sums, axis) };
  });
  const output: Tensor = record('memoryEfficientAttention', forward.output, [query, key, value], (grad) => {
    // FlashAttention's backward: dS = P ∘ (dP − rowsum(dO ∘ O)), with P recomputed per block.
    const rowDot = grad.mul(output).sum(-1, true);
    const gradQueries: Tensor[] = [];
    let gradKey: Tensor | null = null;
    let gradValue: Tensor | null = null;
    for (const [start, end] of blocks) {
      const { scores, queries } = blockScores(query, key, inputs, start, end);
      const weights = scores.softmax(-1);
      const gradOut = grad.slice(axis, start, end);
      const blockValue = matmul(weights.transpose(-2, -1), gradOut);
      gradValue = gradValue ? gradValue.add(blockValue) : blockValue;
      const gradWeights = matmul(gradOut, value.transpose(-2, -1));
      const gradScores = weights.mul(gradWeights.sub(rowDot.slice(axis, start, end))).mul(inputs.scale);
      gradQueries.push(matmul(gradScores, key));
      const blockKey = matmul(gradScores.transpose(-2, -1), queries);
      gradKey = gradKey ? gradKey.add(blockKey) : blockKey;
    }
    return [concat(gradQueries, axis), gradKey, gradValue];
  });
  return { output, logSumExp: forward.logSumExp };
}
