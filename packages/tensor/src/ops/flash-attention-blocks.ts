/**
 * The composed path of `flashAttention`, for backends without fused attention kernels: query
 * blocks of `R` rows, each against every key, with a gradient rule that recomputes each block's
 * weights in the backward pass (FlashAttention's backward). Only `[..., R, S]` scores exist at a
 * time; what is kept for backward is the output and the per-row log-sum-exp. Also the keep rule
 * (causal, window, mask) for a set of query rows, shared with `attentionWeightsForRows`.
 *
 * Legend: `L` query length, `S` key length, `R` rows per block, `D`/`Dv` head/value dims.
 */
import { Tensor } from '../tensor.js';
import { where } from './elementwise.js';
import { indexSelect } from './indexing.js';
import { matmul } from './matmul.js';
import { concat } from './movement.js';
import { isGradEnabled, noGrad } from '../autograd.js';
import { recordOp, type GradRules } from './op-set.js';

/** The keep rule of one attention problem: lengths, causal rule, window, and the user mask at rank `batch + 2`. */
export interface AttentionKeepRule {
  /** `L`. */
  readonly queryLength: number;
  /** `S`. */
  readonly keyLength: number;
  /** Bottom-right causal rule: query `i` sees key `j` iff `j <= i + S - L`. */
  readonly causal: boolean;
  /** Keys `p - before … p + after` around the aligned position `p = i + S - L`, or null. */
  readonly window: readonly [before: number, after: number] | null;
  /** Bool `[..., L|1, S|1]` at the rank of the scores (sizes 1 broadcast), true = may attend; or null. */
  readonly mask: Tensor | null;
}

/**
 * The gradient rule of `flashAttention`, for both of its forwards: the fused backward kernel when
 * the forward ran fused and the backward records no graph; otherwise (the composed forward, or
 * `createGraph`, which needs a differentiable gradient) the composed {@link blockwiseGradient}.
 */
export const flashAttentionRules: GradRules<'flashAttention'> = {
  flashAttention: (grad, saved) =>
    saved.kernelBackward && !isGradEnabled()
      ? saved.kernelBackward(grad)
      : blockwiseGradient(saved.query, saved.key, saved.value, saved.rule, saved.scale, saved.blockRows, saved.output, grad),
};

/** Elements of one block's score matrix the default block size aims for (16 MiB of float32). */
const BLOCK_ELEMENTS = 2 ** 22;

/** Rows per block: `requested`, or as many as keep a block's scores near 4 M elements. */
export function rowsPerBlock(batch: number, queryLength: number, keyLength: number, requested: number | undefined): number {
  if (requested !== undefined) return requested;
  return Math.max(1, Math.min(queryLength, Math.floor(BLOCK_ELEMENTS / Math.max(1, keyLength * batch))));
}

function positionalKeep(rule: AttentionKeepRule, rows: ArrayLike<number>): Uint8Array | null {
  const { causal, window, queryLength, keyLength } = rule;
  if (!causal && !window) return null;
  const keep = new Uint8Array(rows.length * keyLength);
  for (let index = 0; index < rows.length; index++) {
    const position = rows[index] + keyLength - queryLength;
    let first = 0;
    let last = keyLength - 1;
    if (causal) last = Math.min(last, position);
    if (window) {
      first = Math.max(first, position - window[0]);
      last = Math.min(last, position + window[1]);
    }
    if (first <= last) keep.fill(1, index * keyLength + first, index * keyLength + last + 1);
  }
  return keep;
}

/**
 * The keep-mask of query rows `rows` under `rule` (causal, window and mask together),
 * broadcastable to `[..., R, S]`, or null when every key is allowed. `rowIndex` picks the rows
 * of the mask: an int32 index tensor, or a `[start, end)` range when the rows are consecutive.
 *
 * @example
 * ```ts
 * attentionKeepForRows({ queryLength: 4, keyLength: 4, causal: true, window: null, mask: null }, [3], { start: 3, end: 4 }, getBackend());
 * // bool [1, 4]: [[true, true, true, true]]
 * ```
 */
export function attentionKeepForRows(
  rule: AttentionKeepRule,
  rows: ArrayLike<number>,
  rowIndex: Tensor | { start: number; end: number },
  backend: Tensor['backend'],
): Tensor | null {
  const positional = positionalKeep(rule, rows);
  let keep: Tensor | null = positional ? Tensor.fromData(positional, [rows.length, rule.keyLength], 'bool', backend) : null;
  const user = rule.mask;
  if (user) {
    const axis = user.rank - 2;
    const picked = user.shape[axis] === 1 ? user : rowIndex instanceof Tensor ? indexSelect(user, axis, rowIndex) : user.slice(axis, rowIndex.start, rowIndex.end);
    keep = keep ? keep.logicalAnd(picked) : picked;
  }
  return keep;
}

function range(start: number, end: number): Int32Array {
  return Int32Array.from({ length: end - start }, (_, index) => start + index);
}

function blockScores(query: Tensor, key: Tensor, rule: AttentionKeepRule, scale: number, start: number, end: number): { scores: Tensor; queries: Tensor } {
  const queries = query.slice(query.rank - 2, start, end);
  const scores = matmul(queries, key.transpose(-2, -1)).mul(scale);
  const keep = attentionKeepForRows(rule, range(start, end), { start, end }, query.backend);
  return { scores: keep ? where(keep, scores, -Infinity) : scores, queries };
}

/**
 * FlashAttention's backward from composed ops, block by block: `dS = P ∘ (dP − rowsum(dO ∘ O))`
 * with `P` recomputed per block. Differentiable itself, so it also serves second-order gradients.
 */
export function blockwiseGradient(
  query: Tensor,
  key: Tensor,
  value: Tensor,
  rule: AttentionKeepRule,
  scale: number,
  blockRows: number,
  output: Tensor,
  grad: Tensor,
): [Tensor, Tensor, Tensor] {
  const axis = query.rank - 2;
  const rowDot = grad.mul(output).sum(-1, true);
  const gradQueries: Tensor[] = [];
  let gradKey: Tensor | null = null;
  let gradValue: Tensor | null = null;
  for (let start = 0; start < rule.queryLength; start += blockRows) {
    const end = Math.min(rule.queryLength, start + blockRows);
    const { scores, queries } = blockScores(query, key, rule, scale, start, end);
    const weights = scores.softmax(-1);
    const gradOut = grad.slice(axis, start, end);
    const blockValue = matmul(weights.transpose(-2, -1), gradOut);
    gradValue = gradValue ? gradValue.add(blockValue) : blockValue;
    const gradWeights = matmul(gradOut, value.transpose(-2, -1));
    const gradScores = weights.mul(gradWeights.sub(rowDot.slice(axis, start, end))).mul(scale);
    gradQueries.push(matmul(gradScores, key));
    const blockKey = matmul(gradScores.transpose(-2, -1), queries);
    gradKey = gradKey ? gradKey.add(blockKey) : blockKey;
  }
  return [concat(gradQueries, axis), gradKey!, gradValue!];
}

/** Exact softmax attention block by block over the queries; the output carries a recomputing gradient rule. */
export function blockwiseAttention(
  query: Tensor,
  key: Tensor,
  value: Tensor,
  rule: AttentionKeepRule,
  scale: number,
  blockRows: number,
): { output: Tensor; logSumExp: Tensor } {
  const axis = query.rank - 2;
  const blocks: [number, number][] = [];
  for (let start = 0; start < rule.queryLength; start += blockRows) blocks.push([start, Math.min(rule.queryLength, start + blockRows)]);
  const forward = noGrad(() => {
    const outputs: Tensor[] = [];
    const sums: Tensor[] = [];
    for (const [start, end] of blocks) {
      const { scores } = blockScores(query, key, rule, scale, start, end);
      outputs.push(matmul(scores.softmax(-1), value));
      sums.push(scores.logSumExp(-1));
    }
    return { output: concat(outputs, axis), logSumExp: concat(sums, axis) };
  });
  const output = recordOp(flashAttentionRules, 'flashAttention', forward.output, [query, key, value], { query, key, value, rule, scale, blockRows, output: forward.output, kernelBackward: null });
  return { output, logSumExp: forward.logSumExp };
}
