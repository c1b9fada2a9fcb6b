import type { DataArray, View } from '../backend.js';
import { GEMM_COLUMNS, GEMM_ROWS, GEMM_SCRATCH_BYTES, GemmArgs, PackArgs } from './gemm.js';
import type { WasmRuntime } from './runtime.js';
import { MAX_CHUNKS } from './thread-pool.js';
import { stageMatrices } from './staging.js';

/** Arena bytes one group of batches may use; bigger batched products run group by group. */
const GROUP_BYTES = 64 << 20;
/** Multiply-adds below which a product runs on the calling thread alone. */
export const PARALLEL_WORK = 1 << 17;

/** Where a product's C lives in wasm memory and how to run it again (used by fused kernels). */
export interface GemmPlan {
  args: number;
  chunks: number;
  c: number;
  ldc: number;
}

/**
 * Prepares `C = A · B` (or `C += A · B`) for matrices already in wasm memory: packs B and writes
 * the gemm arguments. `a` is addressed with element strides; `b` likewise; C is row-major with
 * `ldc` = n rounded up to 8. Returns the plan; run it with `runtime.run('gemmChunk', …)`.
 */
export function planGemm(
  runtime: WasmRuntime,
  problem: {
    batches: number;
    m: number;
    k: number;
    n: number;
    a: { address: number; rowStride: number; columnStride: number; batchStride: number };
    b: { address: number; rowStride: number; columnStride: number; batchStride: number };
    c?: number;
    accumulate?: boolean;
  },
  parallel: boolean,
): GemmPlan {
  const { batches, m, k, n, a, b } = problem;
  const strips = Math.ceil(n / GEMM_COLUMNS);
  const ldc = strips * GEMM_COLUMNS;
  const threads = runtime.pool.size;
  const bCopies = b.batchStride === 0 ? 1 : batches;
  const packed = runtime.alloc(bCopies * strips * GEMM_COLUMNS * k * 4);
  const packArgs = runtime.args();
  const packChunks = parallel ? Math.max(1, Math.ceil((threads * 4) / bCopies)) : 1;
  const stripsPerChunk = Math.ceil(strips / packChunks);
  const packChunksPerBatch = Math.ceil(strips / stripsPerChunk);
  for (const [offset, value] of [
    [PackArgs.source, b.address],
    [PackArgs.rowStride, b.rowStride],
    [PackArgs.columnStride, b.columnStride],
    [PackArgs.sourceBatch, b.batchStride],
    [PackArgs.target, packed],
    [PackArgs.k, k],
    [PackArgs.n, n],
    [PackArgs.stripsPerChunk, stripsPerChunk],
    [PackArgs.chunksPerBatch, packChunksPerBatch],
  ] as const) {
    runtime.setI32(packArgs, offset, value);
  }
  runtime.run('gemmPackB', packArgs, bCopies * packChunksPerBatch, parallel);

  const c = problem.c ?? runtime.alloc(batches * m * ldc * 4);
  const scratch = runtime.alloc(threads * GEMM_SCRATCH_BYTES);
  const chunkTarget = parallel ? Math.max(1, Math.ceil((threads * 4) / batches)) : 1;
  const rowsPerChunk = Math.ceil(Math.ceil(m / chunkTarget) / GEMM_ROWS) * GEMM_ROWS;
  const chunksPerBatch = Math.ceil(m / rowsPerChunk);
  const args = runtime.args();
  for (const [offset, value] of [
    [GemmArgs.a, a.address],
    [GemmArgs.aRowStride, a.rowStride],
    [GemmArgs.aColumnStride, a.columnStride],
    [GemmArgs.aBatch, a.batchStride],
    [GemmArgs.b, packed],
    [GemmArgs.bBatch, b.batchStride === 0 ? 0 : strips * GEMM_COLUMNS * k],
    [GemmArgs.c, c],
    [GemmArgs.ldc, ldc],
    [GemmArgs.cBatch, m * ldc],
    [GemmArgs.m, m],
    [GemmArgs.strips, strips],
    [GemmArgs.k, k],
    [GemmArgs.rowsPerChunk, rowsPerChunk],
    [GemmArgs.chunksPerBatch, chunksPerBatch],
    [GemmArgs.accumulate, problem.accumulate ? 1 : 0],
    [GemmArgs.scratch, scratch],
  ] as const) {
    runtime.setI32(args, offset, value);
  }
  return { args, chunks: batches * chunksPerBatch, c, ldc };
}

/**
 * Batched matrix product on the WebAssembly SIMD kernels: `a` [B, M, K] · `b` [B, K, N] →
 * [B, M, N] (batch strides may be 0). Operands are copied into wasm memory (transposed ones keep
 * their layout), B is packed into 8-column strips, and rows of C are split over the threads.
 * Every element is summed in the same order whatever the thread count.
 */
export function wasmMatmul(runtime: WasmRuntime, a: View<DataArray>, b: View<DataArray>): Float32Array {
  const [batches, m, k] = a.shape as [number, number, number];
  const n = b.shape[2];
  const out = new Float32Array(batches * m * n);
  if (out.length === 0 || k === 0) return out;
  const ldc = Math.ceil(n / GEMM_COLUMNS) * GEMM_COLUMNS;
  const aShared = a.strides[0] === 0 || batches === 1;
  const bShared = b.strides[0] === 0 || batches === 1;
  const perBatch = 4 * ((aShared ? 0 : m * k) + (bShared ? 0 : k * (n + ldc)) + m * ldc);
  const fixed = 4 * ((aShared ? m * k : 0) + (bShared ? k * (n + ldc) : 0));
  // Few enough batches per group that a job has fewer than MAX_CHUNKS chunks (one per batch at most rows).
  const group = Math.min(batches, MAX_CHUNKS >> 2, Math.max(1, Math.floor((GROUP_BYTES - fixed) / perBatch)));
  const parallel = runtime.pool.size > 1 && m * n * k * group >= PARALLEL_WORK;
  for (let first = 0; first < batches; first += group) {
    const count = Math.min(group, batches - first);
    runtime.reset();
    const stagedA = stageMatrices(runtime, a, first, count);
    const stagedB = stageMatrices(runtime, b, first, count);
    const plan = planGemm(runtime, { batches: count, m, k, n, a: stagedA, b: stagedB }, parallel);
    runtime.run('gemmChunk', plan.args, plan.chunks, parallel);
    const memory = runtime.f32;
    const base = plan.c >> 2;
    if (ldc === n) {
      out.set(memory.subarray(base, base + count * m * n), first * m * n);
    } else {
      for (let row = 0; row < count * m; row++) {
        out.set(memory.subarray(base + row * ldc, base + row * ldc + n), (first * m + row) * n);
      }
    }
  }
  return out;
}
