import type { FusedKernels, View } from '@heed/tensor';
import type { GpuHandle } from '../device.js';
import { Uniforms, type Binding, type BufferResult, type WgslRuntime } from './runtime.js';

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

export type ForwardArgs = FusedKernels<GpuHandle>['attentionForward']['args'];
export type BackwardArgs = FusedKernels<GpuHandle>['attentionBackward']['args'];

export const ROWS = 64;
const MAX_DEPTH = 256;
/** Below this many query rows in all, the forward splits the key range over several workgroups. */
const PARALLEL_ROWS = 65536;

/** Key (or query) rows per workgroup tile: as many as the workgroup memory holds, at most 64. */
export function tileRows(runtime: WgslRuntime, depth: number, valueDepth: number, extraBytes: number): number {
  const bytes = runtime.limit('maxComputeWorkgroupStorageSize') ?? 16384;
  const perRow = (Math.ceil(depth / 4) + Math.ceil(valueDepth / 4)) * 16 + extraBytes;
  return Math.max(0, Math.min(64, Math.floor(bytes / perRow)));
}

/** Whether the WGSL kernels take these head dimensions (else the gpu.js kernels run). */
export function attentionSupported(args: Pick<ForwardArgs, 'query' | 'value'>, runtime: WgslRuntime): boolean {
  const [depth, valueDepth] = [args.query.shape[2], args.value.shape[2]];
  return depth <= MAX_DEPTH && valueDepth <= MAX_DEPTH && tileRows(runtime, depth, valueDepth, 8) >= 4;
}

export const clampWindow = (value: number): number => Math.max(0, Math.min(2 ** 30, value));

/** The uniform block every attention dispatch reads (see `header`). */
export function uniforms(args: ForwardArgs & Partial<Pick<BackwardArgs, 'output' | 'logSumExp' | 'gradOutput'>>, splits: number): Uint32Array {
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
export function header(depth: number, valueDepth: number): string {
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
export function loader(name: string, buffer: string, stride: string, count: string): string {
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

export const dot4 = (v: string): string => `(${v}.x + ${v}.y + ${v}.z + ${v}.w)`;
export const maskTest = 'params.hasMask == 0u || mask[params.mOffset + n * params.mN + row * params.mL + key * params.mS] != 0.0';

/** Workgroups of 64 rows for `rows` rows: x at most 65,535, the rest along y. */
export function rowGroups(rows: number): [number, number, number] {
  const groups = Math.ceil(rows / ROWS);
  return groups <= 65535 ? [groups, 1, 1] : [65535, Math.ceil(groups / 65535), 1];
}

export const bind = (runtime: WgslRuntime, value: BufferResult | null): Binding => value ?? runtime.dummy;

/** How many workgroups share one block's keys (1 when there are enough query rows to fill a GPU). */
export function keySplits(rows: number, keys: number, tile: number, requested: number | undefined): number {
  if (requested !== undefined) return Math.max(1, Math.floor(requested));
  if (rows >= PARALLEL_ROWS) return 1;
  return Math.max(1, Math.min(16, Math.floor(PARALLEL_ROWS / Math.max(1, rows)), Math.floor(keys / (4 * tile))));
}
