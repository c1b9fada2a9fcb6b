import type { View } from '@heed/tensor';
import type { GpuHandle } from '../device.js';
import { Uniforms, type BufferResult, type Dispatch, type WgslRuntime } from './runtime.js';

/**
 * Tiled matrix product `a` [B, M, K] × `b` [B, K, N] → row-major [B, M, N] in WGSL.
 *
 * Design: a workgroup of 16 × 16 threads computes one TILE × TILE block of the output. Per step
 * of `TILE_K` along K it stages an A tile (stored k-major, `[TILE_K][TILE]`) and a B tile
 * (`[TILE_K][TILE]`) in workgroup memory, each thread loading `TILE·TILE_K / 256` elements (the
 * next step's are fetched into registers while this step computes), then every thread multiplies
 * a `THREAD × THREAD` register block: rows `y + 16·i`, columns `x + 16·j` (strided by 16, so a
 * warp reads consecutive workgroup words or one broadcast word, and writes coalesced rows). Two
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

/**
 * The WGSL source of one tile shape and operand layout (`aRowFast`: A's unit stride is along M;
 * `bInnerFast`: B's is along K). The register block is written out as scalar variables and
 * straight-line FMAs (no arrays for the driver to keep in registers or not), and the next K tile
 * is fetched from device memory into registers while the current one is multiplied.
 */
export function matmulSource(shape: Shape, aRowFast: boolean, bInnerFast: boolean): string {
  const { tile, thread, tileK } = shape;
  const loads = (tile * tileK) / 256;
  const range = (count: number): number[] => Array.from({ length: count }, (_, index) => index);
  const aPosition = aRowFast ? 'let m = e % TILE; let k = e / TILE;' : 'let k = e % TILE_K; let m = e / TILE_K;';
  const bPosition = bInnerFast ? 'let k = e % TILE_K; let n = e / TILE_K;' : 'let n = e % TILE; let k = e / TILE;';
  const fetch = (k0: string): string =>
    range(loads)
      .map((r) => `    { let e = index + ${256 * r}u; ${aPosition} aNext${r} = loadA(rowStart + m, ${k0} + k, aBase); }\n    { let e = index + ${256 * r}u; ${bPosition} bNext${r} = loadB(${k0} + k, columnStart + n, bBase); }`)
      .join('\n');
  const store = range(loads)
    .map((r) => `    { let e = index + ${256 * r}u; ${aPosition} aTile[k * TILE + m] = aNext${r}; }\n    { let e = index + ${256 * r}u; ${bPosition} bTile[k * TILE + n] = bNext${r}; }`)
    .join('\n');
  const block = range(thread).flatMap((i) => range(thread).map((j) => [i, j] as const));
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
var<workgroup> aTile: array<f32, ${tile * tileK}>;
var<workgroup> bTile: array<f32, ${tile * tileK}>;

fn loadA(row: u32, inner: u32, base: u32) -> f32 {
  if (row < params.rows && inner < params.depth) { return a[base + row * params.aRow + inner * params.aInner]; }
  return 0.0;
}
fn loadB(inner: u32, column: u32, base: u32) -> f32 {
  if (column < params.columns && inner < params.depth) { return b[base + inner * params.bInner + column * params.bColumn]; }
  return 0.0;
}

@compute @workgroup_size(16, 16, 1)
fn main(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_id) local: vec3<u32>, @builtin(local_invocation_index) index: u32) {
  let batch = group.z + params.batchBase;
  let rowStart = group.y * TILE;
  let columnStart = group.x * TILE;
  let aBase = params.aOffset + batch * params.aBatch;
  let bBase = params.bOffset + batch * params.bBatch;
${block.map(([i, j]) => `  var c${i}_${j} = 0.0;`).join('\n')}
${range(loads).map((r) => `  var aNext${r} = 0.0;\n  var bNext${r} = 0.0;`).join('\n')}
${fetch('0u')}
  for (var k0 = 0u; k0 < params.depth; k0 += TILE_K) {
    workgroupBarrier();
${store}
    workgroupBarrier();
    if (k0 + TILE_K < params.depth) {
${fetch('k0 + TILE_K')}
    }
    for (var k = 0u; k < TILE_K; k++) {
${range(thread).map((i) => `      let a${i} = aTile[k * TILE + local.y + ${16 * i}u];`).join('\n')}
${range(thread).map((j) => `      let b${j} = bTile[k * TILE + local.x + ${16 * j}u];`).join('\n')}
${block.map(([i, j]) => `      c${i}_${j} = fma(a${i}, b${j}, c${i}_${j});`).join('\n')}
    }
  }
  let outBase = batch * params.rows * params.columns;
${range(thread)
  .map(
    (i) => `  {
    let row = rowStart + local.y + ${16 * i}u;
    if (row < params.rows) {
${range(thread).map((j) => `      { let column = columnStart + local.x + ${16 * j}u; if (column < params.columns) { c[outBase + row * params.columns + column] = c${i}_${j}; } }`).join('\n')}
    }
  }`,
  )
  .join('\n')}
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
