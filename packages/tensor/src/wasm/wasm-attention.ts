import type { DataArray, FusedKernels, View } from '../backend.js';
import { contiguousData } from '../cpu/strided.js';
import { AttentionArgs, QUERY_BLOCK, attentionForwardScratch } from './attention-forward.js';
import { GEMM_ROWS, PackArgs, PanelArgs } from './gemm.js';
import type { WasmRuntime } from './runtime.js';
import { MAX_CHUNKS } from './thread-pool.js';
import { PARALLEL_WORK } from './wasm-matmul.js';

type ForwardArgs = FusedKernels<DataArray>['attentionForward']['args'];

/** Arena bytes one group of batch entries may use; more entries run group by group. */
const GROUP_BYTES = 96 << 20;
/** Window sides beyond this are unbounded (keeps the kernel's i32 arithmetic in range). */
const WINDOW_LIMIT = 1 << 28;
const roundUp = (value: number, multiple: number) => Math.ceil(value / multiple) * multiple;

/** Problem sizes of an attention call. */
export interface AttentionProblem {
  batches: number;
  queries: number;
  keys: number;
  depth: number;
  valueDepth: number;
}

/** The sizes of an attention call from its [N, L, D], [N, S, D] and [N, S, Dv] views. */
export function attentionProblem(query: View<DataArray>, key: View<DataArray>, value: View<DataArray>): AttentionProblem {
  const [batches, queries, depth] = query.shape as [number, number, number];
  return { batches, queries, keys: key.shape[1], depth, valueDepth: value.shape[2] };
}

/** Bytes of wasm memory per batch entry for the forward pass (inputs, packed copies, outputs, mask). */
export function entryBytes(p: AttentionProblem, masked: boolean): number {
  const queries8 = roundUp(p.queries, 8);
  const keys5 = roundUp(p.keys, GEMM_ROWS);
  const values5 = roundUp(p.valueDepth, GEMM_ROWS);
  const floats = p.queries * p.depth + queries8 * p.depth + p.keys * p.depth + keys5 * p.depth * 4 + p.keys * p.valueDepth + values5 * keys5 * 4 + p.queries * p.valueDepth + 2 * p.queries;
  return floats * 4 + (masked ? keys5 * queries8 : 0) + 1024;
}

/** Writes i32 arguments into a job block. */
export function writeArgs(runtime: WasmRuntime, args: number, values: readonly (readonly [number, number])[]): void {
  for (const [offset, value] of values) runtime.setI32(args, offset, value);
}

/**
 * Stages entries `[first, first + count)` of the inputs for the attention kernels: Q scaled by
 * `queryScale` and packed in 8-query strips, K in 5-key broadcast panels, Vᵀ in 5-dim panels,
 * and the mask as bytes. Returns the addresses and strides to put in {@link AttentionArgs}.
 */
export function stageAttentionInputs(
  runtime: WasmRuntime,
  problem: AttentionProblem,
  inputs: { query: View<DataArray>; key: View<DataArray>; value: View<DataArray>; mask: View<DataArray> | null },
  queryScale: number,
  first: number,
  count: number,
  parallel: boolean,
  forBackward = false,
): { args: [number, number][]; rawQuery: number; rawKey: number; rawValue: number; panel: PanelPacker } {
  const { queries, keys, depth, valueDepth } = problem;
  const queries8 = roundUp(queries, 8);
  const keys5 = roundUp(keys, GEMM_ROWS);
  const values5 = roundUp(valueDepth, GEMM_ROWS);
  const threads = runtime.pool.size;

  const query = contiguousData(inputs.query) as Float32Array;
  const rawQuery = runtime.alloc(count * queries * depth * 4);
  const from = first * queries * depth;
  const memory = runtime.f32;
  for (let index = 0, base = rawQuery >> 2; index < count * queries * depth; index++) memory[base + index] = query[from + index] * queryScale;
  const rawKey = stageRows(runtime, inputs.key, first, count);
  const rawValue = stageRows(runtime, inputs.value, first, count);

  const packedQuery = packQueryStrips(runtime, rawQuery, queries, depth, count, parallel);

  const keyPanels = runtime.alloc(count * keys5 * depth * 16);
  const valuePanels = forBackward ? 0 : runtime.alloc(count * values5 * keys5 * 16);
  const panel: PanelPacker = (source, rows, rowStride, columnStride, sourceBatch, panelDepth, padded, target) => {
    const groups = Math.ceil(rows / GEMM_ROWS);
    const groupsPerChunk = Math.max(1, Math.ceil((groups * count) / (threads * 4)));
    const chunksPerBatch = Math.max(1, Math.ceil(groups / groupsPerChunk));
    const args = runtime.args();
    writeArgs(runtime, args, [
      [PanelArgs.source, source], [PanelArgs.rowStride, rowStride], [PanelArgs.columnStride, columnStride], [PanelArgs.sourceBatch, sourceBatch],
      [PanelArgs.rows, rows], [PanelArgs.depth, panelDepth], [PanelArgs.depthPadded, padded], [PanelArgs.target, target],
      [PanelArgs.groupsPerChunk, groupsPerChunk], [PanelArgs.chunksPerBatch, chunksPerBatch],
    ]);
    if (groups > 0) runtime.run('gemmPackPanels', args, count * chunksPerBatch, parallel);
  };
  panel(rawKey, keys, depth, 1, keys * depth, depth, depth, keyPanels);
  if (!forBackward) panel(rawValue, valueDepth, 1, valueDepth, keys * valueDepth, keys, keys5, valuePanels);
  const [maskKind, mask, maskBatch] = stageMask(runtime, inputs.mask, problem, first, count);
  const args: [number, number][] = [
    [AttentionArgs.queries, packedQuery], [AttentionArgs.queryBatch, queries8 * depth],
    [AttentionArgs.keyPanels, keyPanels], [AttentionArgs.keyBatch, keys5 * depth * 4],
    [AttentionArgs.valuePanels, valuePanels], [AttentionArgs.valueBatch, values5 * keys5 * 4],
    [AttentionArgs.queryLength, queries], [AttentionArgs.keyLength, keys], [AttentionArgs.depth, depth], [AttentionArgs.valueDepth, valueDepth],
    [AttentionArgs.maskKind, maskKind], [AttentionArgs.mask, mask], [AttentionArgs.maskBatch, maskBatch],
    [AttentionArgs.blocksPerBatch, Math.ceil(queries / QUERY_BLOCK)],
  ];
  return { args, rawQuery, rawKey, rawValue, panel };
}

/** Packs `rows` × `depth` of a staged matrix into 5-row broadcast panels (see `PanelArgs`), over the entries being staged. */
export type PanelPacker = (source: number, rows: number, rowStride: number, columnStride: number, sourceBatch: number, depth: number, depthPadded: number, target: number) => void;

/**
 * Packs staged [count][L][C] row-major matrices, transposed, into strips of 8 queries
 * ([L8 / 8][C][8] per entry: the gemm's B layout), zero beyond L. Returns the address.
 */
export function packQueryStrips(runtime: WasmRuntime, source: number, queries: number, columns: number, count: number, parallel: boolean): number {
  const strips = roundUp(queries, 8) / 8;
  const target = runtime.alloc(count * strips * 8 * columns * 4);
  if (columns === 0) return target;
  const stripsPerChunk = Math.max(1, Math.ceil((strips * count) / (runtime.pool.size * 4)));
  const chunksPerBatch = Math.ceil(strips / stripsPerChunk);
  const args = runtime.args();
  writeArgs(runtime, args, [
    [PackArgs.source, source], [PackArgs.rowStride, 1], [PackArgs.columnStride, columns], [PackArgs.sourceBatch, queries * columns],
    [PackArgs.target, target], [PackArgs.k, columns], [PackArgs.n, queries], [PackArgs.stripsPerChunk, stripsPerChunk], [PackArgs.chunksPerBatch, chunksPerBatch],
  ]);
  runtime.run('gemmPackB', args, count * chunksPerBatch, parallel);
  return target;
}

/** Copies entries of a [N, R, C] view row-major into the arena. */
export function stageRows(runtime: WasmRuntime, view: View<DataArray>, first: number, count: number): number {
  const [, rows, columns] = view.shape as [number, number, number];
  const size = rows * columns;
  const data = contiguousData(view) as Float32Array;
  const address = runtime.alloc(count * size * 4);
  runtime.f32.set(data.subarray(first * size, (first + count) * size), address >> 2);
  return address;
}

/** The mask as bytes: kind 1 (one per key, when it does not vary over queries) or 2 ([S][L8] per entry). */
function stageMask(runtime: WasmRuntime, mask: View<DataArray> | null, problem: AttentionProblem, first: number, count: number): [number, number, number] {
  if (!mask) return [0, 0, 0];
  const { queries, keys } = problem;
  const [batchStride, queryStride, keyStride] = mask.strides as [number, number, number];
  const shared = batchStride === 0 || problem.batches === 1;
  const entries = shared ? 1 : count;
  const data = mask.handle;
  const perKey = queryStride === 0 || queries === 1;
  const queries8 = roundUp(queries, 8);
  const entrySize = perKey ? keys : keys * queries8;
  const address = runtime.alloc(entries * entrySize);
  const bytes = runtime.u8;
  bytes.fill(0, address, address + entries * entrySize);
  for (let entry = 0; entry < entries; entry++) {
    const source = mask.offset + (shared ? 0 : (first + entry) * batchStride);
    const target = address + entry * entrySize;
    if (perKey) {
      for (let key = 0; key < keys; key++) bytes[target + key] = data[source + key * keyStride] ? 1 : 0;
    } else {
      for (let key = 0; key < keys; key++) {
        const row = target + key * queries8;
        for (let query = 0; query < queries; query++) bytes[row + query] = data[source + query * queryStride + key * keyStride] ? 1 : 0;
      }
    }
  }
  return [perKey ? 1 : 2, address, shared ? 0 : entrySize];
}

/** The window and causal arguments. */
export function ruleArgs(causal: boolean, window: readonly [number, number] | null): [number, number][] {
  const clamp = (side: number) => Math.min(WINDOW_LIMIT, Math.max(-WINDOW_LIMIT, side));
  return [
    [AttentionArgs.causal, causal ? 1 : 0],
    [AttentionArgs.hasWindow, window ? 1 : 0],
    [AttentionArgs.windowBefore, window ? clamp(window[0]) : 0],
    [AttentionArgs.windowAfter, window ? clamp(window[1]) : 0],
  ];
}

/** How many batch entries fit a group, and whether to spread the work over threads. */
export function grouping(runtime: WasmRuntime, problem: AttentionProblem, bytes: number): { group: number; parallel: boolean } {
  const blocks = Math.max(Math.ceil(problem.queries / QUERY_BLOCK), Math.ceil(problem.keys / 80));
  const group = Math.min(problem.batches, Math.max(1, Math.floor(MAX_CHUNKS / blocks)), Math.max(1, Math.floor(GROUP_BYTES / bytes)));
  const work = problem.batches * problem.queries * problem.keys * (problem.depth + problem.valueDepth);
  return { group, parallel: runtime.pool.size > 1 && work >= PARALLEL_WORK };
}

/**
 * Memory-efficient attention forward on the WebAssembly SIMD kernels (same contract as the JS
 * `attentionForwardKernel`): 64-query blocks spread over the threads, keys in blocks of 80 with
 * an online softmax in base 2. Memory is linear in L and S.
 */
export function wasmAttentionForward(runtime: WasmRuntime, args: ForwardArgs): { output: Float32Array; logSumExp: Float32Array } {
  const problem = attentionProblem(args.query, args.key, args.value);
  const { batches, queries, keys, valueDepth } = problem;
  const output = new Float32Array(batches * queries * valueDepth);
  const logSumExp = new Float32Array(batches * queries).fill(-Infinity);
  if (batches * queries === 0 || keys === 0) return { output, logSumExp };
  const { group, parallel } = grouping(runtime, problem, entryBytes(problem, args.mask !== null));
  for (let first = 0; first < batches; first += group) {
    const count = Math.min(group, batches - first);
    runtime.reset();
    const staged = stageAttentionInputs(runtime, problem, args, args.scale * Math.LOG2E, first, count, parallel).args;
    const out = runtime.alloc(count * queries * valueDepth * 4);
    const stats = runtime.alloc(count * queries * 8);
    const scratchStride = attentionForwardScratch(valueDepth);
    const scratch = runtime.alloc(runtime.pool.size * scratchStride);
    const jobArgs = runtime.args();
    writeArgs(runtime, jobArgs, [
      ...staged,
      ...ruleArgs(args.causal, args.window),
      [AttentionArgs.output, out], [AttentionArgs.stats, stats], [AttentionArgs.scratch, scratch], [AttentionArgs.scratchStride, scratchStride],
    ]);
    runtime.run('attentionForwardChunk', jobArgs, count * Math.ceil(queries / QUERY_BLOCK), parallel);
    const memory = runtime.f32;
    output.set(memory.subarray(out >> 2, (out >> 2) + count * queries * valueDepth), first * queries * valueDepth);
    for (let row = 0, base = stats >> 2; row < count * queries; row++) {
      const sum = memory[base + 2 * row + 1];
      if (sum > 0) logSumExp[first * queries + row] = (memory[base + 2 * row] + Math.log2(sum)) * Math.LN2;
    }
  }
  return { output, logSumExp };
}
