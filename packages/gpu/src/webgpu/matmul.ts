import type { View } from '@heed/tensor';
import type { GpuHandle } from '../device.js';
import { Uniforms, type BufferResult, type Dispatch, type WgslRuntime } from './runtime.js';

/**
 * Tiled matrix product `a` [B, M, K] × `b` [B, K, N] → row-major [B, M, N] in WGSL.
 *
 * Design: a workgroup of 16 × 16 threads computes one TILE × TILE block of the output. Per step
 * of `TILE_K` along K it stages an A tile (stored k-major, `[TILE_K][TILE]`) and a B tile
 * (`[TILE_K][TILE]`) in workgroup memory, each thread loading `TILE·TILE_K / 256` elements, then
 * every thread multiplies a `THREAD × THREAD` register block: rows `y + 16·i`, columns `x + 16·j`
 * (strided by 16, so a warp reads consecutive workgroup words and writes coalesced rows). Two
 * shapes: 128 × 128 tiles with 8 × 8 register blocks and TILE_K 8 (64 FMAs per 16 workgroup
 * loads: what a large product needs to approach the FP32 peak), and 64 × 64 tiles with 4 × 4
 * blocks and TILE_K 16 for small outputs, where big tiles would leave most threads idle.
 *
 * Operands are strided views (offset and three strides each, batch stride 0 for broadcast):
 * transposed operands need no copy. The loaders walk the operand's unit-stride axis with
 * consecutive threads (a compile-time variant per layout), so both `a` and `aᵀ` load coalesced.
 * Edges are zero-padded in workgroup memory, so any M, N, K works. Batches beyond 65,535 run as
 * several dispatches.
 */
interface Shape {
  tile: number;
  thread: number;
  tileK: number;
}

const large: Shape = { tile: 128, thread: 8, tileK: 8 };
const small: Shape = { tile: 64, thread: 4, tileK: 16 };

/** The WGSL source of one tile shape and operand layout (`aRowFast`: A's unit stride is along M). */
export function matmulSource(shape: Shape, aRowFast: boolean, bInnerFast: boolean): string {
  const { tile, thread, tileK } = shape;
  const aLoad = aRowFast ? 'let m = e % TILE; let k = e / TILE;' : 'let k = e % TILE_K; let m = e / TILE_K;';
  const bLoad = bInnerFast ? 'let k = e % TILE_K; let n = e / TILE_K;' : 'let n = e % TILE; let k = e / TILE;';
  return /* wgsl */ `
struct Params {
  rows: u32, columns: u32, depth: u32, batchBase: u32,
  aOffset: u32, aBatch: u32, aRow: u32, aInner: u32,
  bOffset: u32, bBatch: u32, bInner: u32, bColumn: u32,
}
@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> c: array<f32>;

const TILE = ${tile}u;
const TILE_K = ${tileK}u;
const THREAD = ${thread}u;
var<workgroup> aTile: array<f32, ${tile * tileK}>;
var<workgroup> bTile: array<f32, ${tile * tileK}>;

@compute @workgroup_size(16, 16, 1)
fn main(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_id) local: vec3<u32>, @builtin(local_invocation_index) index: u32) {
  let batch = group.z + params.batchBase;
  let rowStart = group.y * TILE;
  let columnStart = group.x * TILE;
  let aBase = params.aOffset + batch * params.aBatch;
  let bBase = params.bOffset + batch * params.bBatch;
  var total: array<f32, ${thread * thread}>;
  var aValues: array<f32, ${thread}>;
  var bValues: array<f32, ${thread}>;
  for (var k0 = 0u; k0 < params.depth; k0 += TILE_K) {
    for (var e = index; e < TILE * TILE_K; e += 256u) {
      ${aLoad}
      let row = rowStart + m;
      let inner = k0 + k;
      var value = 0.0;
      if (row < params.rows && inner < params.depth) { value = a[aBase + row * params.aRow + inner * params.aInner]; }
      aTile[k * TILE + m] = value;
    }
    for (var e = index; e < TILE * TILE_K; e += 256u) {
      ${bLoad}
      let column = columnStart + n;
      let inner = k0 + k;
      var value = 0.0;
      if (column < params.columns && inner < params.depth) { value = b[bBase + inner * params.bInner + column * params.bColumn]; }
      bTile[k * TILE + n] = value;
    }
    workgroupBarrier();
    for (var k = 0u; k < TILE_K; k++) {
      for (var i = 0u; i < THREAD; i++) { aValues[i] = aTile[k * TILE + local.y + 16u * i]; }
      for (var j = 0u; j < THREAD; j++) { bValues[j] = bTile[k * TILE + local.x + 16u * j]; }
      for (var i = 0u; i < THREAD; i++) {
        for (var j = 0u; j < THREAD; j++) {
          total[i * THREAD + j] = fma(aValues[i], bValues[j], total[i * THREAD + j]);
        }
      }
    }
    workgroupBarrier();
  }
  let outBase = batch * params.rows * params.columns;
  for (var i = 0u; i < THREAD; i++) {
    let row = rowStart + local.y + 16u * i;
    if (row >= params.rows) { continue; }
    for (var j = 0u; j < THREAD; j++) {
      let column = columnStart + local.x + 16u * j;
      if (column < params.columns) { c[outBase + row * params.columns + column] = total[i * THREAD + j]; }
    }
  }
}
`;
}

/** Which tile shape an output of `rows` × `columns` (× `batches`) gets. */
export function matmulShape(batches: number, rows: number, columns: number): Shape {
  // Big tiles pay once there are enough of them to fill the GPU (a few hundred workgroups).
  return batches * Math.ceil(rows / 128) * Math.ceil(columns / 128) >= 128 ? large : small;
}

/** The dispatches of `a` × `b` into `out` (a zero-filled buffer of B·M·N floats). */
export function matmulDispatches(a: View<GpuHandle>, b: View<GpuHandle>, aValue: BufferResult | null, bValue: BufferResult | null, out: BufferResult, runtime: WgslRuntime): Dispatch[] {
  const [batches, rows, depth] = a.shape;
  const columns = b.shape[2];
  const shape = matmulShape(batches, rows, columns);
  const source = matmulSource(shape, a.strides[1] === 1 && a.strides[2] !== 1, b.strides[1] === 1 && b.strides[2] !== 1);
  const dispatches: Dispatch[] = [];
  for (let batchBase = 0; batchBase < batches; batchBase += 65535) {
    const count = Math.min(65535, batches - batchBase);
    const uniforms = new Uniforms()
      .u32(rows, columns, depth, batchBase)
      .u32(a.offset, ...a.strides)
      .u32(b.offset, ...b.strides)
      .build();
    dispatches.push({
      source,
      bindings: [aValue ?? runtime.dummy, bValue ?? runtime.dummy, out],
      uniforms,
      groups: [Math.ceil(columns / shape.tile), Math.ceil(rows / shape.tile), count],
    });
  }
  return dispatches;
}
