import type { DataArray, FusedKernels } from '../backend.js';
import { contiguousData } from '../cpu/strided.js';
import { BackwardArgs, attentionBackwardScratch } from './attention-backward.js';
import { AttentionArgs, QUERY_BLOCK } from './attention-forward.js';
import { GEMM_ROWS } from './gemm.js';
import type { WasmRuntime } from './runtime.js';
import { attentionProblem, entryBytes, grouping, packQueryStrips, ruleArgs, stageAttentionInputs, stageRows, writeArgs, type AttentionProblem } from './wasm-attention.js';

type BackwardArgsOf = FusedKernels<DataArray>['attentionBackward']['args'];

const roundUp = (value: number, multiple: number) => Math.ceil(value / multiple) * multiple;
/** Keys per block of the key pass (must match the kernel's 16 groups of 5). */
const KEY_BLOCK = 80;

/** Copies entries of a [N, R, C] float view into the arena with rows padded to a multiple of 8 (zeros). */
function stagePaddedRows(runtime: WasmRuntime, data: Float32Array, rows: number, columns: number, first: number, count: number): number {
  const width = roundUp(columns, 8);
  const address = runtime.alloc(count * rows * width * 4);
  const memory = runtime.f32;
  const base = address >> 2;
  if (width === columns) {
    memory.set(data.subarray(first * rows * columns, (first + count) * rows * columns), base);
    return address;
  }
  memory.fill(0, base, base + count * rows * width);
  for (let row = 0; row < count * rows; row++) {
    const from = (first * rows + row) * columns;
    memory.set(data.subarray(from, from + columns), base + row * width);
  }
  return address;
}

/** Per-query base-2 log-sum-exp (+Infinity where no key was visible, so every weight is 0) and rowsum(dO ∘ O), padded to L8. */
function stageStatistics(runtime: WasmRuntime, problem: AttentionProblem, args: BackwardArgsOf, first: number, count: number): { logSumExp2: number; delta: number } {
  const { queries, valueDepth } = problem;
  const queries8 = roundUp(queries, 8);
  const logSumExp2 = runtime.alloc(count * queries8 * 4);
  const delta = runtime.alloc(count * queries8 * 4);
  const lse = contiguousData(args.logSumExp) as Float32Array;
  const output = contiguousData(args.output) as Float32Array;
  const gradOutput = contiguousData(args.gradOutput) as Float32Array;
  const memory = runtime.f32;
  for (let entry = 0; entry < count; entry++) {
    const statsBase = entry * queries8;
    for (let query = 0; query < queries8; query++) {
      const row = (first + entry) * queries + query;
      if (query >= queries) {
        memory[(logSumExp2 >> 2) + statsBase + query] = Infinity;
        memory[(delta >> 2) + statsBase + query] = 0;
        continue;
      }
      const value = lse[row];
      memory[(logSumExp2 >> 2) + statsBase + query] = value === -Infinity ? Infinity : value * Math.LOG2E;
      let sum = 0;
      for (let column = 0; column < valueDepth; column++) sum += gradOutput[row * valueDepth + column] * output[row * valueDepth + column];
      memory[(delta >> 2) + statsBase + query] = sum;
    }
  }
  return { logSumExp2, delta };
}

/**
 * Memory-efficient attention backward on the WebAssembly SIMD kernels (same contract as the JS
 * `attentionBackwardKernel`). Two passes recompute the weights from the saved log-sum-exp: one
 * over blocks of 80 keys (dK, dV), one over blocks of 64 queries (dQ), each block owned by one
 * thread, so nothing is reduced across threads and results do not depend on the thread count.
 */
export function wasmAttentionBackward(runtime: WasmRuntime, args: BackwardArgsOf): { gradQuery: Float32Array; gradKey: Float32Array; gradValue: Float32Array } {
  const problem = attentionProblem(args.query, args.key, args.value);
  const { batches, queries, keys, depth, valueDepth } = problem;
  const gradQuery = new Float32Array(batches * queries * depth);
  const gradKey = new Float32Array(batches * keys * depth);
  const gradValue = new Float32Array(batches * keys * valueDepth);
  if (batches * queries * keys === 0) return { gradQuery, gradKey, gradValue };
  const queries8 = roundUp(queries, 8);
  const keys5 = roundUp(keys, GEMM_ROWS);
  const depth5 = roundUp(depth, GEMM_ROWS);
  const { group, parallel } = grouping(runtime, problem, 2 * entryBytes(problem, args.mask !== null));
  const threads = runtime.pool.size;
  const query = contiguousData(args.query) as Float32Array;
  for (let first = 0; first < batches; first += group) {
    const count = Math.min(group, batches - first);
    runtime.reset();
    const staged = stageAttentionInputs(runtime, problem, args, args.scale * Math.LOG2E, first, count, parallel, true);
    const valueRows = runtime.alloc(count * keys5 * valueDepth * 16);
    staged.panel(staged.rawValue, keys, valueDepth, 1, keys * valueDepth, valueDepth, valueDepth, valueRows);
    const keyColumns = runtime.alloc(count * depth5 * keys5 * 16);
    staged.panel(staged.rawKey, depth, 1, depth, keys * depth, keys, keys5, keyColumns);
    const gradOutput = contiguousData(args.gradOutput) as Float32Array;
    const rawGrad = stageRows(runtime, args.gradOutput, first, count);
    const gradStrips = packQueryStrips(runtime, rawGrad, queries, valueDepth, count, parallel);
    const gradRows = stagePaddedRows(runtime, gradOutput, queries, valueDepth, first, count);
    const queryRows = stagePaddedRows(runtime, query, queries, depth, first, count);
    const { logSumExp2, delta } = stageStatistics(runtime, problem, args, first, count);
    const outQuery = runtime.alloc(count * queries * depth * 4);
    const outKey = runtime.alloc(count * keys * depth * 4);
    const outValue = runtime.alloc(count * keys * valueDepth * 4);
    const scratchStride = attentionBackwardScratch(depth, valueDepth);
    const scratch = runtime.alloc(threads * scratchStride);
    const jobArgs = runtime.args();
    writeArgs(runtime, jobArgs, [
      ...staged.args,
      ...ruleArgs(args.causal, args.window),
      [AttentionArgs.scratch, scratch], [AttentionArgs.scratchStride, scratchStride],
      [BackwardArgs.valueRows, valueRows], [BackwardArgs.valueRowsBatch, keys5 * valueDepth * 4],
      [BackwardArgs.gradStrips, gradStrips], [BackwardArgs.gradStripsBatch, queries8 * valueDepth],
      [BackwardArgs.gradRows, gradRows], [BackwardArgs.gradRowsBatch, queries * roundUp(valueDepth, 8)],
      [BackwardArgs.queryRows, queryRows], [BackwardArgs.queryRowsBatch, queries * roundUp(depth, 8)],
      [BackwardArgs.keyColumns, keyColumns], [BackwardArgs.keyColumnsBatch, depth5 * keys5 * 4],
      [BackwardArgs.logSumExp2, logSumExp2], [BackwardArgs.delta, delta], [BackwardArgs.statsBatch, queries8],
      [BackwardArgs.gradQuery, outQuery], [BackwardArgs.gradKey, outKey], [BackwardArgs.gradValue, outValue],
      [BackwardArgs.keyBlocksPerBatch, Math.ceil(keys5 / KEY_BLOCK)],
    ]);
    runtime.setF32(jobArgs, BackwardArgs.scale, args.scale);
    runtime.run('attentionBackwardKeysChunk', jobArgs, count * Math.ceil(keys5 / KEY_BLOCK), parallel);
    runtime.run('attentionBackwardQueriesChunk', jobArgs, count * Math.ceil(queries / QUERY_BLOCK), parallel);
    const memory = runtime.f32;
    gradQuery.set(memory.subarray(outQuery >> 2, (outQuery >> 2) + count * queries * depth), first * queries * depth);
    gradKey.set(memory.subarray(outKey >> 2, (outKey >> 2) + count * keys * depth), first * keys * depth);
    gradValue.set(memory.subarray(outValue >> 2, (outValue >> 2) + count * keys * valueDepth), first * keys * valueDepth);
  }
  return { gradQuery, gradKey, gradValue };
}
