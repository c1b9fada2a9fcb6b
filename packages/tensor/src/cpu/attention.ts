import type { DataArray, FusedKernels, View } from '../backend.js';
import { contiguousData } from './strided.js';

type ForwardArgs = FusedKernels<DataArray>['attentionForward']['args'];
type BackwardArgs = FusedKernels<DataArray>['attentionBackward']['args'];

const KEY_BLOCK = 64;

/** Which keys row `row` may see: the `[first, last]` range from causal/window rules, and the mask. */
interface RowRule {
  first: number;
  last: number;
  mask: DataArray | null;
  maskBase: number;
  maskStride: number;
}

function rowRule(args: ForwardArgs, n: number, row: number, queries: number, keys: number): RowRule {
  const aligned = row + keys - queries; // bottom-right alignment
  let first = 0;
  let last = keys - 1;
  if (args.causal) last = Math.min(last, aligned);
  if (args.window) {
    first = Math.max(first, aligned - args.window[0]);
    last = Math.min(last, aligned + args.window[1]);
  }
  const mask = args.mask;
  if (!mask) return { first, last, mask: null, maskBase: 0, maskStride: 0 };
  const [s0, s1, s2] = mask.strides as [number, number, number];
  return { first, last, mask: mask.handle, maskBase: mask.offset + n * s0 + row * s1, maskStride: s2 };
}

function dims(view: View<DataArray>): [number, number, number] {
  return view.shape as [number, number, number];
}

/**
 * Memory-efficient attention forward: for each query row, keys are visited in blocks of 64 with
 * an online softmax, so memory is O(block + Dv) per row instead of O(S).
 */
export function attentionForwardKernel(args: ForwardArgs): { output: Float32Array; logSumExp: Float32Array } {
  const [batches, queries, depth] = dims(args.query);
  const keys = args.key.shape[1];
  const valueDepth = args.value.shape[2];
  const q = contiguousData(args.query);
  const k = contiguousData(args.key);
  const v = contiguousData(args.value);
  const output = new Float32Array(batches * queries * valueDepth);
  const logSumExp = new Float32Array(batches * queries);
  const scores = new Float32Array(KEY_BLOCK);
  const accumulator = new Float64Array(valueDepth);
  const scale = args.scale;
  for (let n = 0; n < batches; n++) {
    for (let row = 0; row < queries; row++) {
      const rule = rowRule(args, n, row, queries, keys);
      const qBase = (n * queries + row) * depth;
      let max = -Infinity;
      let total = 0;
      accumulator.fill(0);
      for (let start = rule.first; start <= rule.last; start += KEY_BLOCK) {
        const end = Math.min(rule.last + 1, start + KEY_BLOCK);
        let blockMax = -Infinity;
        for (let j = start; j < end; j++) {
          if (rule.mask && !rule.mask[rule.maskBase + j * rule.maskStride]) {
            scores[j - start] = -Infinity;
            continue;
          }
          const kBase = (n * keys + j) * depth;
          let dot = 0;
          for (let d = 0; d < depth; d++) dot += q[qBase + d] * k[kBase + d];
          const score = dot * scale;
          scores[j - start] = score;
          if (score > blockMax) blockMax = score;
        }
        if (blockMax === -Infinity) continue;
        if (blockMax > max) {
          const correction = Math.exp(max - blockMax);
          total *= correction;
          for (let d = 0; d < valueDepth; d++) accumulator[d] *= correction;
          max = blockMax;
        }
        for (let j = start; j < end; j++) {
          const score = scores[j - start];
          if (score === -Infinity) continue;
          const p = Math.exp(score - max);
          total += p;
          const vBase = (n * keys + j) * valueDepth;
          for (let d = 0; d < valueDepth; d++) accumulator[d] += p * v[vBase + d];
        }
      }
      const oBase = (n * queries + row) * valueDepth;
      if (total === 0) {
        logSumExp[n * queries + row] = -Infinity;
        continue;
      }
      const inverse = 1 / total;
      for (let d = 0; d < valueDepth; d++) output[oBase + d] = accumulator[d] * inverse;
      logSumExp[n * queries + row] = max + Math.log(total);
    }
  }
  return { output, logSumExp };
}

/**
 * Memory-efficient attention backward: recomputes each weight from the saved log-sum-exp
 * (FlashAttention-2's rule `dS = P ∘ (dP − rowsum(dO ∘ O))`), storing nothing of size L × S.
 */
export function attentionBackwardKernel(args: BackwardArgs): { gradQuery: Float32Array; gradKey: Float32Array; gradValue: Float32Array } {
  const [batches, queries, depth] = dims(args.query);
  const keys = args.key.shape[1];
  const valueDepth = args.value.shape[2];
  const q = contiguousData(args.query);
  const k = contiguousData(args.key);
  const v = contiguousData(args.value);
  const o = contiguousData(args.output);
  const lse = contiguousData(args.logSumExp);
  const dO = contiguousData(args.gradOutput);
  const gradQuery = new Float32Array(q.length);
  const gradKey = new Float32Array(k.length);
  const gradValue = new Float32Array(v.length);
  const scale = args.scale;
  for (let n = 0; n < batches; n++) {
    for (let row = 0; row < queries; row++) {
      const rowLse = lse[n * queries + row];
      if (rowLse === -Infinity) continue;
      const rule = rowRule(args, n, row, queries, keys);
      const qBase = (n * queries + row) * depth;
      const oBase = (n * queries + row) * valueDepth;
      let rowDot = 0;
      for (let d = 0; d < valueDepth; d++) rowDot += dO[oBase + d] * o[oBase + d];
      for (let j = rule.first; j <= rule.last; j++) {
        if (rule.mask && !rule.mask[rule.maskBase + j * rule.maskStride]) continue;
        const kBase = (n * keys + j) * depth;
        const vBase = (n * keys + j) * valueDepth;
        let dot = 0;
        for (let d = 0; d < depth; d++) dot += q[qBase + d] * k[kBase + d];
        const p = Math.exp(dot * scale - rowLse);
        let dp = 0;
        for (let d = 0; d < valueDepth; d++) {
          dp += dO[oBase + d] * v[vBase + d];
          gradValue[vBase + d] += p * dO[oBase + d];
        }
        const ds = p * (dp - rowDot) * scale;
        for (let d = 0; d < depth; d++) {
          gradQuery[qBase + d] += ds * k[kBase + d];
          gradKey[kBase + d] += ds * q[qBase + d];
        }
      }
    }
  }
  return { gradQuery, gradKey, gradValue };
}
