import type { FusedKernels, View } from '@heed/tensor';
import type { GpuHandle } from '../device.js';
import { Uniforms, spread, type Binding, type BufferResult, type Dispatch, type WgslRuntime } from './runtime.js';

/**
 * Flash attention in WGSL (FlashAttention-2's loop order), same semantics as the CPU backend's
 * fused kernels: bottom-right causal alignment, sliding windows, a bool keep mask broadcast to
 * [N, L, S] through any strides, output 0 and logSumExp -Infinity for a row with no allowed key
 * (and zero gradients from it).
 *
 * Forward: a workgroup of 64 threads owns 64 query rows of one batch entry, one row per thread
 * (its query, pre-scaled, and its output accumulator live in registers as vec4s). Key and value
 * tiles of `BC` rows are staged in workgroup memory (BC as large as 16 KiB allows, at most 64),
 * every thread reads them as broadcasts; per tile it takes the tile's scores, rescales once by
 * the new running max (online softmax) and accumulates `p · V`. Tiles wholly outside the causal
 * or window band of the block are never visited. When there are few query rows (N·L small) the
 * key range is split over `splits` workgroups (flash-decoding), whose partial (max, sum, acc)
 * are merged by a second dispatch: a GPU needs tens of thousands of threads in flight.
 *
 * Backward: one dispatch for each row's `logSumExp` and `δ = rowsum(dO ∘ O)`, one with a thread
 * per key row accumulating dK and dV over query tiles, and one with a thread per query row
 * accumulating dQ over key tiles: no atomics. With few rows, those two split their loops over
 * workgroups too and a reduce dispatch sums the partial gradients.
 *
 * Limits: head dimensions up to 256 (the per-thread registers); beyond, the gpu.js kernels run.
 */

type ForwardArgs = FusedKernels<GpuHandle>['attentionForward']['args'];
type BackwardArgs = FusedKernels<GpuHandle>['attentionBackward']['args'];

const ROWS = 64;
const MAX_DEPTH = 256;
/** Below this many query rows in all, the forward splits the key range over several workgroups. */
const PARALLEL_ROWS = 65536;

/** Key (or query) rows per workgroup tile: as many as the workgroup memory holds, at most 64. */
function tileRows(runtime: WgslRuntime, depth: number, valueDepth: number, extraBytes: number): number {
  const bytes = runtime.limit('maxComputeWorkgroupStorageSize') ?? 16384;
  const perRow = (Math.ceil(depth / 4) + Math.ceil(valueDepth / 4)) * 16 + extraBytes;
  return Math.max(0, Math.min(64, Math.floor(bytes / perRow)));
}

/** Whether the WGSL kernels take these head dimensions (else the gpu.js kernels run). */
export function attentionSupported(args: Pick<ForwardArgs, 'query' | 'value'>, runtime: WgslRuntime): boolean {
  const [depth, valueDepth] = [args.query.shape[2], args.value.shape[2]];
  return depth <= MAX_DEPTH && valueDepth <= MAX_DEPTH && tileRows(runtime, depth, valueDepth, 8) >= 4;
}

const clampWindow = (value: number): number => Math.max(0, Math.min(2 ** 30, value));

/** The uniform block every attention dispatch reads (see `header`). */
function uniforms(args: ForwardArgs & Partial<Pick<BackwardArgs, 'output' | 'logSumExp' | 'gradOutput'>>, splits: number): Uint32Array {
  const [batches, queries, depth] = args.query.shape;
  const view3 = (view: View | null | undefined): number[] => (view ? [view.offset, ...view.strides] : [0, 0, 0, 0]);
  const lse = args.logSumExp ? [args.logSumExp.offset, ...args.logSumExp.strides] : [0, 0, 0];
  return new Uniforms()
    .u32(batches, queries, args.key.shape[1], splits)
    .u32(...view3(args.query), ...view3(args.key), ...view3(args.value), ...view3(args.mask))
    .u32(...view3(args.output), ...lse, args.mask ? 1 : 0, ...view3(args.gradOutput))
    .u32(args.causal ? 1 : 0, args.window ? 1 : 0, clampWindow(args.window?.[0] ?? 0), clampWindow(args.window?.[1] ?? 0))
    .f32(args.scale, -Infinity)
    .u32(depth, args.value.shape[2])
    .build();
}

/** Declarations shared by the attention kernels: uniforms, the allowed-key rule, the key and query ranges of a block. */
function header(depth: number, valueDepth: number): string {
  return /* wgsl */ `
struct Params {
  batches: u32, queries: u32, keys: u32, splits: u32,
  qOffset: u32, qN: u32, qL: u32, qD: u32,
  kOffset: u32, kN: u32, kS: u32, kD: u32,
  vOffset: u32, vN: u32, vS: u32, vD: u32,
  mOffset: u32, mN: u32, mL: u32, mS: u32,
  oOffset: u32, oN: u32, oL: u32, oD: u32,
  lOffset: u32, lN: u32, lL: u32, hasMask: u32,
  gOffset: u32, gN: u32, gL: u32, gD: u32,
  causal: u32, hasWindow: u32, before: u32, after: u32,
  scale: f32, negativeInfinity: f32, depth: u32, valueDepth: u32,
}
@group(0) @binding(0) var<uniform> params: Params;
const D4 = ${Math.max(1, Math.ceil(depth / 4))}u;
const DV4 = ${Math.max(1, Math.ceil(valueDepth / 4))}u;
const NONE = -1.0e30;

fn shift() -> i32 { return i32(params.keys) - i32(params.queries); }

/** Keys [x, y] (inclusive) that some row of [first, last] may see. */
fn keyRange(first: u32, last: u32) -> vec2<i32> {
  var range = vec2<i32>(0, i32(params.keys) - 1);
  if (params.causal != 0u) { range.y = min(range.y, i32(last) + shift()); }
  if (params.hasWindow != 0u) {
    range.x = max(range.x, i32(first) + shift() - i32(params.before));
    range.y = min(range.y, i32(last) + shift() + i32(params.after));
  }
  return range;
}

/** Query rows [x, y] (inclusive) that may see some key of [first, last]. */
fn queryRange(first: u32, last: u32) -> vec2<i32> {
  var range = vec2<i32>(0, i32(params.queries) - 1);
  if (params.causal != 0u) { range.x = max(range.x, i32(first) - shift()); }
  if (params.hasWindow != 0u) {
    range.x = max(range.x, i32(first) - shift() - i32(params.after));
    range.y = min(range.y, i32(last) - shift() + i32(params.before));
  }
  return range;
}

/** The causal and window rules for one (row, key); the mask is read by the caller. */
fn inBand(row: u32, key: u32) -> bool {
  let aligned = i32(row) + shift();
  let column = i32(key);
  if (params.causal != 0u && column > aligned) { return false; }
  if (params.hasWindow != 0u && (column < aligned - i32(params.before) || column > aligned + i32(params.after))) { return false; }
  return true;
}
`;
}

/** A WGSL function `name(base, c)` reading elements 4c … 4c+3 of a row (zero past `count`). */
function loader(name: string, buffer: string, stride: string, count: string): string {
  return /* wgsl */ `
fn ${name}(base: u32, c: u32) -> vec4<f32> {
  var loaded = vec4<f32>(0.0);
  for (var k = 0u; k < 4u; k++) {
    let d = c * 4u + k;
    if (d < ${count}) { loaded[k] = ${buffer}[base + d * ${stride}]; }
  }
  return loaded;
}
`;
}

const dot4 = (v: string): string => `(${v}.x + ${v}.y + ${v}.z + ${v}.w)`;
const maskTest = 'params.hasMask == 0u || mask[params.mOffset + n * params.mN + row * params.mL + key * params.mS] != 0.0';

function forwardSource(depth: number, valueDepth: number, tile: number, split: boolean): string {
  return /* wgsl */ `${header(depth, valueDepth)}
@group(0) @binding(1) var<storage, read> query: array<f32>;
@group(0) @binding(2) var<storage, read> key: array<f32>;
@group(0) @binding(3) var<storage, read> value: array<f32>;
@group(0) @binding(4) var<storage, read> mask: array<f32>;
@group(0) @binding(5) var<storage, read_write> output: array<f32>;
${split ? '' : '@group(0) @binding(6) var<storage, read_write> logSumExp: array<f32>;'}
const BC = ${tile}u;
var<workgroup> keyTile: array<vec4<f32>, ${tile}u * D4>;
var<workgroup> valueTile: array<vec4<f32>, ${tile}u * DV4>;
${loader('loadQuery', 'query', 'params.qD', 'params.depth')}
${loader('loadKey', 'key', 'params.kD', 'params.depth')}
${loader('loadValue', 'value', 'params.vD', 'params.valueDepth')}

@compute @workgroup_size(${ROWS})
fn main(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_index) thread: u32) {
  let n = group.y;
  let first = group.x * ${ROWS}u;
  let row = first + thread;
  let valid = row < params.queries;
  let range = keyRange(first, min(params.queries, first + ${ROWS}u) - 1u);
  var q: array<vec4<f32>, D4>;
  if (valid) {
    let base = params.qOffset + n * params.qN + row * params.qL;
    for (var c = 0u; c < D4; c++) { q[c] = loadQuery(base, c) * params.scale; }
  }
  var acc: array<vec4<f32>, DV4>;
  var scores: array<f32, BC>;
  var best = NONE;
  var total = 0.0;
  let tiles = select(0, (range.y - range.x + i32(BC)) / i32(BC), range.y >= range.x);
  let perSplit = (tiles + i32(params.splits) - 1) / i32(params.splits);
  let tileStart = i32(group.z) * perSplit;
  let tileEnd = min(tiles, tileStart + perSplit);
  for (var tileIndex = tileStart; tileIndex < tileEnd; tileIndex++) {
    let start = u32(range.x + tileIndex * i32(BC));
    workgroupBarrier();
    for (var e = thread; e < BC * D4; e += ${ROWS}u) {
      let j = start + e / D4;
      keyTile[e] = select(vec4<f32>(0.0), loadKey(params.kOffset + n * params.kN + j * params.kS, e % D4), i32(j) <= range.y);
    }
    for (var e = thread; e < BC * DV4; e += ${ROWS}u) {
      let j = start + e / DV4;
      valueTile[e] = select(vec4<f32>(0.0), loadValue(params.vOffset + n * params.vN + j * params.vS, e % DV4), i32(j) <= range.y);
    }
    workgroupBarrier();
    var tileBest = NONE;
    for (var j = 0u; j < BC; j++) {
      let key = start + j;
      var score = NONE;
      if (valid && i32(key) <= range.y && inBand(row, key) && (${maskTest})) {
        var products = vec4<f32>(0.0);
        for (var c = 0u; c < D4; c++) { products = fma(q[c], keyTile[j * D4 + c], products); }
        score = ${dot4('products')};
      }
      scores[j] = score;
      tileBest = max(tileBest, score);
    }
    if (tileBest > 0.5 * NONE) {
      let nextBest = max(best, tileBest);
      let correction = exp(best - nextBest);
      total = total * correction;
      for (var c = 0u; c < DV4; c++) { acc[c] = acc[c] * correction; }
      best = nextBest;
      for (var j = 0u; j < BC; j++) {
        if (scores[j] > 0.5 * NONE) {
          let p = exp(scores[j] - best);
          total += p;
          for (var c = 0u; c < DV4; c++) { acc[c] = fma(vec4<f32>(p), valueTile[j * DV4 + c], acc[c]); }
        }
      }
    }
  }
  if (!valid) { return; }
  let rowIndex = n * params.queries + row;
${
  split
    ? `  // Partial state of this split: [max, sum, acc…] per row, merged by the combine kernel.
  let width = params.valueDepth + 2u;
  let base = (group.z * params.batches * params.queries + rowIndex) * width;
  output[base] = best;
  output[base + 1u] = total;
  for (var d = 0u; d < params.valueDepth; d++) { output[base + 2u + d] = acc[d / 4u][d % 4u]; }`
    : `  let inverse = select(0.0, 1.0 / total, total > 0.0);
  for (var d = 0u; d < params.valueDepth; d++) { output[rowIndex * params.valueDepth + d] = acc[d / 4u][d % 4u] * inverse; }
  logSumExp[rowIndex] = select(params.negativeInfinity, best + log(total), total > 0.0);`
}
}
`;
}

function combineSource(): string {
  return /* wgsl */ `${header(4, 4)}
@group(0) @binding(1) var<storage, read> partial: array<f32>;
@group(0) @binding(2) var<storage, read_write> output: array<f32>;
@group(0) @binding(3) var<storage, read_write> logSumExp: array<f32>;

@compute @workgroup_size(${ROWS})
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  let rowIndex = id.x + id.y * 65535u * ${ROWS}u;
  let rows = params.batches * params.queries;
  if (rowIndex >= rows) { return; }
  let width = params.valueDepth + 2u;
  var best = NONE;
  for (var s = 0u; s < params.splits; s++) {
    let base = (s * rows + rowIndex) * width;
    if (partial[base + 1u] > 0.0) { best = max(best, partial[base]); }
  }
  var total = 0.0;
  for (var s = 0u; s < params.splits; s++) {
    let base = (s * rows + rowIndex) * width;
    if (partial[base + 1u] > 0.0) { total += partial[base + 1u] * exp(partial[base] - best); }
  }
  let inverse = select(0.0, 1.0 / total, total > 0.0);
  for (var d = 0u; d < params.valueDepth; d++) {
    var sum = 0.0;
    for (var s = 0u; s < params.splits; s++) {
      let base = (s * rows + rowIndex) * width;
      if (partial[base + 1u] > 0.0) { sum += partial[base + 2u + d] * exp(partial[base] - best); }
    }
    output[rowIndex * params.valueDepth + d] = sum * inverse;
  }
  logSumExp[rowIndex] = select(params.negativeInfinity, best + log(total), total > 0.0);
}
`;
}

/** Workgroups of 64 rows for `rows` rows: x at most 65,535, the rest along y. */
function rowGroups(rows: number): [number, number, number] {
  const groups = Math.ceil(rows / ROWS);
  return groups <= 65535 ? [groups, 1, 1] : [65535, Math.ceil(groups / 65535), 1];
}

const bind = (runtime: WgslRuntime, value: BufferResult | null): Binding => value ?? runtime.dummy;

/** How many workgroups share one block's keys (1 when there are enough query rows to fill a GPU). */
export function keySplits(rows: number, keys: number, tile: number, requested: number | undefined): number {
  if (requested !== undefined) return Math.max(1, Math.floor(requested));
  if (rows >= PARALLEL_ROWS) return 1;
  return Math.max(1, Math.min(16, Math.floor(PARALLEL_ROWS / Math.max(1, rows)), Math.floor(keys / (4 * tile))));
}

/** Records and submits the forward; returns the output and logSumExp buffers (null when empty). */
export async function attentionForwardSubmit(runtime: WgslRuntime, args: ForwardArgs & { splits?: number }, values: (BufferResult | null)[], sizes: number[]): Promise<(BufferResult | null)[]> {
  const [batches, queries, depth] = args.query.shape;
  const [keys, valueDepth] = [args.key.shape[1], args.value.shape[2]];
  const [query, key, value, mask] = values;
  const outputs = sizes.map((size) => (size > 0 ? runtime.wrap(runtime.storage(size), size) : null));
  if (!outputs[1]) return outputs;
  const tile = tileRows(runtime, depth, valueDepth, 0);
  const splits = Math.min(keySplits(batches * queries, keys, tile, args.splits), Math.max(1, Math.ceil(keys / tile)));
  const [x, y] = [Math.ceil(queries / ROWS), batches];
  const inputs = [bind(runtime, query), bind(runtime, key), bind(runtime, value), bind(runtime, mask)];
  // An empty output (Dv = 0) still needs a writable buffer of its own (no aliasing with the dummy).
  const spare = runtime.storage(1);
  const out = outputs[0] ?? spare;
  if (splits === 1) {
    await runtime.submit([{ source: forwardSource(depth, valueDepth, tile, false), bindings: [...inputs, out, outputs[1]], uniforms: uniforms(args, 1), groups: [x, y, 1] }], [], [spare]);
    return outputs;
  }
  const partial = runtime.storage(splits * batches * queries * (valueDepth + 2));
  const parameters = uniforms(args, splits);
  await runtime.submit(
    [
      { source: forwardSource(depth, valueDepth, tile, true), bindings: [...inputs, partial], uniforms: parameters, groups: [x, y, splits] },
      { source: combineSource(), bindings: [partial, out, outputs[1]], uniforms: parameters, groups: rowGroups(batches * queries) },
    ],
    [],
    [partial, spare],
  );
  return outputs;
}

function statsSource(): string {
  return /* wgsl */ `${header(4, 4)}
@group(0) @binding(1) var<storage, read> output: array<f32>;
@group(0) @binding(2) var<storage, read> gradOutput: array<f32>;
@group(0) @binding(3) var<storage, read> logSumExp: array<f32>;
@group(0) @binding(4) var<storage, read_write> stats: array<f32>;

@compute @workgroup_size(${ROWS})
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  let rowIndex = id.x + id.y * 65535u * ${ROWS}u;
  if (rowIndex >= params.batches * params.queries) { return; }
  let n = rowIndex / params.queries;
  let row = rowIndex % params.queries;
  let lse = logSumExp[params.lOffset + n * params.lN + row * params.lL];
  var delta = 0.0;
  let o = params.oOffset + n * params.oN + row * params.oL;
  let g = params.gOffset + n * params.gN + row * params.gL;
  for (var d = 0u; d < params.valueDepth; d++) { delta += output[o + d * params.oD] * gradOutput[g + d * params.gD]; }
  stats[rowIndex * 2u] = select(lse, NONE, lse < 0.5 * NONE);
  stats[rowIndex * 2u + 1u] = delta;
}
`;
}

function keyGradientSource(depth: number, valueDepth: number, tile: number, split: boolean): string {
  return /* wgsl */ `${header(depth, valueDepth)}
@group(0) @binding(1) var<storage, read> query: array<f32>;
@group(0) @binding(2) var<storage, read> key: array<f32>;
@group(0) @binding(3) var<storage, read> value: array<f32>;
@group(0) @binding(4) var<storage, read> mask: array<f32>;
@group(0) @binding(5) var<storage, read> gradOutput: array<f32>;
@group(0) @binding(6) var<storage, read> stats: array<f32>;
${split ? '@group(0) @binding(7) var<storage, read_write> partial: array<f32>;' : '@group(0) @binding(7) var<storage, read_write> gradKey: array<f32>;\n@group(0) @binding(8) var<storage, read_write> gradValue: array<f32>;'}
const BQ = ${tile}u;
var<workgroup> queryTile: array<vec4<f32>, ${tile}u * D4>;
var<workgroup> gradTile: array<vec4<f32>, ${tile}u * DV4>;
var<workgroup> statTile: array<vec2<f32>, ${tile}u>;
${loader('loadQuery', 'query', 'params.qD', 'params.depth')}
${loader('loadKey', 'key', 'params.kD', 'params.depth')}
${loader('loadValue', 'value', 'params.vD', 'params.valueDepth')}
${loader('loadGrad', 'gradOutput', 'params.gD', 'params.valueDepth')}

@compute @workgroup_size(${ROWS})
fn main(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_index) thread: u32) {
  let n = group.y;
  let first = group.x * ${ROWS}u;
  let key = first + thread;
  let valid = key < params.keys;
  let range = queryRange(first, min(params.keys, first + ${ROWS}u) - 1u);
  var k: array<vec4<f32>, D4>;
  var v: array<vec4<f32>, DV4>;
  var gk: array<vec4<f32>, D4>;
  var gv: array<vec4<f32>, DV4>;
  if (valid) {
    for (var c = 0u; c < D4; c++) { k[c] = loadKey(params.kOffset + n * params.kN + key * params.kS, c); }
    for (var c = 0u; c < DV4; c++) { v[c] = loadValue(params.vOffset + n * params.vN + key * params.vS, c); }
  }
  let tiles = select(0, (range.y - range.x + i32(BQ)) / i32(BQ), range.y >= range.x);
  let perSplit = (tiles + i32(params.splits) - 1) / i32(params.splits);
  let tileStart = i32(group.z) * perSplit;
  let tileEnd = min(tiles, tileStart + perSplit);
  for (var tileIndex = tileStart; tileIndex < tileEnd; tileIndex++) {
    let start = u32(range.x + tileIndex * i32(BQ));
    workgroupBarrier();
    for (var e = thread; e < BQ * D4; e += ${ROWS}u) {
      let i = start + e / D4;
      queryTile[e] = select(vec4<f32>(0.0), loadQuery(params.qOffset + n * params.qN + i * params.qL, e % D4), i32(i) <= range.y);
    }
    for (var e = thread; e < BQ * DV4; e += ${ROWS}u) {
      let i = start + e / DV4;
      gradTile[e] = select(vec4<f32>(0.0), loadGrad(params.gOffset + n * params.gN + i * params.gL, e % DV4), i32(i) <= range.y);
    }
    for (var e = thread; e < BQ; e += ${ROWS}u) {
      let i = start + e;
      var stat = vec2<f32>(NONE, 0.0);
      if (i32(i) <= range.y) { let index = (n * params.queries + i) * 2u; stat = vec2<f32>(stats[index], stats[index + 1u]); }
      statTile[e] = stat;
    }
    workgroupBarrier();
    for (var i = 0u; i < BQ; i++) {
      let row = start + i;
      let stat = statTile[i];
      if (!valid || stat.x < 0.5 * NONE || !inBand(row, key) || !(${maskTest})) { continue; }
      var products = vec4<f32>(0.0);
      for (var c = 0u; c < D4; c++) { products = fma(queryTile[i * D4 + c], k[c], products); }
      let p = exp(${dot4('products')} * params.scale - stat.x);
      var gradProducts = vec4<f32>(0.0);
      for (var c = 0u; c < DV4; c++) {
        let g = gradTile[i * DV4 + c];
        gradProducts = fma(g, v[c], gradProducts);
        gv[c] = fma(vec4<f32>(p), g, gv[c]);
      }
      let ds = p * (${dot4('gradProducts')} - stat.y) * params.scale;
      for (var c = 0u; c < D4; c++) { gk[c] = fma(vec4<f32>(ds), queryTile[i * D4 + c], gk[c]); }
    }
  }
  if (!valid) { return; }
  let index = n * params.keys + key;
${
  split
    ? `  // This split's share of [dK | dV] for the key row, summed by the reduce dispatch.
  let width = params.depth + params.valueDepth;
  let base = (group.z * params.batches * params.keys + index) * width;
  for (var d = 0u; d < params.depth; d++) { partial[base + d] = gk[d / 4u][d % 4u]; }
  for (var d = 0u; d < params.valueDepth; d++) { partial[base + params.depth + d] = gv[d / 4u][d % 4u]; }`
    : `  for (var d = 0u; d < params.depth; d++) { gradKey[index * params.depth + d] = gk[d / 4u][d % 4u]; }
  for (var d = 0u; d < params.valueDepth; d++) { gradValue[index * params.valueDepth + d] = gv[d / 4u][d % 4u]; }`
}
}
`;
}

function queryGradientSource(depth: number, valueDepth: number, tile: number, split: boolean): string {
  return /* wgsl */ `${header(depth, valueDepth)}
@group(0) @binding(1) var<storage, read> query: array<f32>;
@group(0) @binding(2) var<storage, read> key: array<f32>;
@group(0) @binding(3) var<storage, read> value: array<f32>;
@group(0) @binding(4) var<storage, read> mask: array<f32>;
@group(0) @binding(5) var<storage, read> gradOutput: array<f32>;
@group(0) @binding(6) var<storage, read> stats: array<f32>;
${split ? '@group(0) @binding(7) var<storage, read_write> partial: array<f32>;' : '@group(0) @binding(7) var<storage, read_write> gradQuery: array<f32>;'}
const BC = ${tile}u;
var<workgroup> keyTile: array<vec4<f32>, ${tile}u * D4>;
var<workgroup> valueTile: array<vec4<f32>, ${tile}u * DV4>;
${loader('loadQuery', 'query', 'params.qD', 'params.depth')}
${loader('loadKey', 'key', 'params.kD', 'params.depth')}
${loader('loadValue', 'value', 'params.vD', 'params.valueDepth')}
${loader('loadGrad', 'gradOutput', 'params.gD', 'params.valueDepth')}

@compute @workgroup_size(${ROWS})
fn main(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_index) thread: u32) {
  let n = group.y;
  let first = group.x * ${ROWS}u;
  let row = first + thread;
  let valid = row < params.queries;
  let range = keyRange(first, min(params.queries, first + ${ROWS}u) - 1u);
  var q: array<vec4<f32>, D4>;
  var g: array<vec4<f32>, DV4>;
  var gq: array<vec4<f32>, D4>;
  var stat = vec2<f32>(NONE, 0.0);
  if (valid) {
    for (var c = 0u; c < D4; c++) { q[c] = loadQuery(params.qOffset + n * params.qN + row * params.qL, c); }
    for (var c = 0u; c < DV4; c++) { g[c] = loadGrad(params.gOffset + n * params.gN + row * params.gL, c); }
    let index = (n * params.queries + row) * 2u;
    stat = vec2<f32>(stats[index], stats[index + 1u]);
  }
  let live = valid && stat.x > 0.5 * NONE;
  let tiles = select(0, (range.y - range.x + i32(BC)) / i32(BC), range.y >= range.x);
  let perSplit = (tiles + i32(params.splits) - 1) / i32(params.splits);
  let tileStart = i32(group.z) * perSplit;
  let tileEnd = min(tiles, tileStart + perSplit);
  for (var tileIndex = tileStart; tileIndex < tileEnd; tileIndex++) {
    let start = u32(range.x + tileIndex * i32(BC));
    workgroupBarrier();
    for (var e = thread; e < BC * D4; e += ${ROWS}u) {
      let j = start + e / D4;
      keyTile[e] = select(vec4<f32>(0.0), loadKey(params.kOffset + n * params.kN + j * params.kS, e % D4), i32(j) <= range.y);
    }
    for (var e = thread; e < BC * DV4; e += ${ROWS}u) {
      let j = start + e / DV4;
      valueTile[e] = select(vec4<f32>(0.0), loadValue(params.vOffset + n * params.vN + j * params.vS, e % DV4), i32(j) <= range.y);
    }
    workgroupBarrier();
    for (var j = 0u; j < BC; j++) {
      let key = start + j;
      if (!live || i32(key) > range.y || !inBand(row, key) || !(${maskTest})) { continue; }
      var products = vec4<f32>(0.0);
      for (var c = 0u; c < D4; c++) { products = fma(q[c], keyTile[j * D4 + c], products); }
      let p = exp(${dot4('products')} * params.scale - stat.x);
      var gradProducts = vec4<f32>(0.0);
      for (var c = 0u; c < DV4; c++) { gradProducts = fma(g[c], valueTile[j * DV4 + c], gradProducts); }
      let ds = p * (${dot4('gradProducts')} - stat.y) * params.scale;
      for (var c = 0u; c < D4; c++) { gq[c] = fma(vec4<f32>(ds), keyTile[j * D4 + c], gq[c]); }
    }
  }
  if (!valid) { return; }
  let index = n * params.queries + row;
${
  split
    ? `  let base = (group.z * params.batches * params.queries + index) * params.depth;
  for (var d = 0u; d < params.depth; d++) { partial[base + d] = gq[d / 4u][d % 4u]; }`
    : '  for (var d = 0u; d < params.depth; d++) { gradQuery[index * params.depth + d] = gq[d / 4u][d % 4u]; }'
}
}
`;
}

/** Sums `splits` partial [rows, width] blocks into `first` (columns [0, firstWidth)) and, when `two`, `second` (the rest). */
function reduceSource(two: boolean): string {
  return /* wgsl */ `
struct Params { rows: u32, width: u32, firstWidth: u32, splits: u32 }
@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> partial: array<f32>;
@group(0) @binding(2) var<storage, read_write> first: array<f32>;
${two ? '@group(0) @binding(3) var<storage, read_write> second: array<f32>;' : ''}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  let index = id.x + id.y * 65535u * 64u;
  if (index >= params.rows * params.width) { return; }
  let row = index / params.width;
  let column = index % params.width;
  var total = 0.0;
  for (var s = 0u; s < params.splits; s++) { total += partial[(s * params.rows + row) * params.width + column]; }
  if (column < params.firstWidth) { first[row * params.firstWidth + column] = total; }
  ${two ? 'else { second[row * (params.width - params.firstWidth) + column - params.firstWidth] = total; }' : ''}
}
`;
}

/** Records and submits the backward; returns gradQuery, gradKey and gradValue (null when empty). */
export async function attentionBackwardSubmit(runtime: WgslRuntime, args: BackwardArgs & { splits?: number }, values: (BufferResult | null)[], sizes: number[]): Promise<(BufferResult | null)[]> {
  const [batches, queries, depth] = args.query.shape;
  const [keys, valueDepth] = [args.key.shape[1], args.value.shape[2]];
  const [query, key, value, mask, output, logSumExp, gradOutput] = values.map((entry) => bind(runtime, entry));
  const [gradQuery, gradKey, gradValue] = sizes.map((size) => (size > 0 ? runtime.wrap(runtime.storage(size), size) : null));
  if (queries === 0 || keys === 0 || batches === 0) return [gradQuery, gradKey, gradValue];
  const stats = runtime.storage(batches * queries * 2);
  const keyTile = tileRows(runtime, depth, valueDepth, 8);
  const queryTile = tileRows(runtime, depth, valueDepth, 0);
  // Few key (or query) rows leave most of a GPU idle: split the query (or key) tiles over
  // workgroups, each writing a partial sum, added up by a reduce dispatch.
  const keySplit = Math.min(keySplits(batches * keys, queries, keyTile, args.splits), Math.max(1, Math.ceil(queries / keyTile)));
  const querySplit = Math.min(keySplits(batches * queries, keys, queryTile, args.splits), Math.max(1, Math.ceil(keys / queryTile)));
  const inputs = [query, key, value, mask, gradOutput, stats];
  // Dv = 0 leaves gradValue empty: it still needs a writable buffer of its own.
  const spare = runtime.storage(1);
  const release = [stats, spare];
  const dispatches: Dispatch[] = [{ source: statsSource(), bindings: [output, gradOutput, logSumExp, stats], uniforms: uniforms(args, 1), groups: rowGroups(batches * queries) }];
  const keyGroups: [number, number, number] = [Math.ceil(keys / ROWS), batches, keySplit];
  if (keySplit === 1) {
    dispatches.push({ source: keyGradientSource(depth, valueDepth, keyTile, false), bindings: [...inputs, gradKey ?? spare, gradValue ?? spare], uniforms: uniforms(args, 1), groups: keyGroups });
  } else {
    const partial = runtime.storage(keySplit * batches * keys * (depth + valueDepth));
    release.push(partial);
    const reduce = new Uniforms().u32(batches * keys, depth + valueDepth, depth, keySplit).build();
    dispatches.push(
      { source: keyGradientSource(depth, valueDepth, keyTile, true), bindings: [...inputs, partial], uniforms: uniforms(args, keySplit), groups: keyGroups },
      { source: reduceSource(true), bindings: [partial, gradKey ?? spare, gradValue ?? spare], uniforms: reduce, groups: spread(batches * keys * (depth + valueDepth), 64) },
    );
  }
  const queryGroups: [number, number, number] = [Math.ceil(queries / ROWS), batches, querySplit];
  if (querySplit === 1) {
    dispatches.push({ source: queryGradientSource(depth, valueDepth, queryTile, false), bindings: [...inputs, gradQuery ?? spare], uniforms: uniforms(args, 1), groups: queryGroups });
  } else {
    const partial = runtime.storage(querySplit * batches * queries * depth);
    release.push(partial);
    const reduce = new Uniforms().u32(batches * queries, depth, depth, querySplit).build();
    dispatches.push(
      { source: queryGradientSource(depth, valueDepth, queryTile, true), bindings: [...inputs, partial], uniforms: uniforms(args, querySplit), groups: queryGroups },
      { source: reduceSource(false), bindings: [partial, gradQuery ?? spare], uniforms: reduce, groups: spread(batches * queries * depth, 64) },
    );
  }
  await runtime.submit(dispatches, [], release);
  return [gradQuery, gradKey, gradValue];
}
