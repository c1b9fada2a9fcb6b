import { afterAll, describe, expect, it } from 'vitest';
import type { View } from '../backend.js';
import { matmulKernel } from '../cpu/matmul.js';
import { compareArrays } from '../testing/allclose.js';
import { wasmFeatures } from './features.js';
import { WasmRuntime } from './runtime.js';
import { GemmArgs } from './gemm.js';
import { wasmMatmul } from './wasm-matmul.js';

const features = wasmFeatures();
// Plain SIMD and, where the engine has it (Node 22+, or Node 20 with the flag vitest.config.ts passes), relaxed SIMD.
const runtimes = features.simd
  ? [false, ...(features.relaxedSimd ? [true] : [])].flatMap((relaxed) => [new WasmRuntime({ threads: 1, relaxed }), ...(features.sharedMemory ? [new WasmRuntime({ threads: 3, relaxed })] : [])])
  : [];
afterAll(() => Promise.all(runtimes.map((runtime) => runtime.close())));

let seed = 7;
const random = (size: number) => Float32Array.from({ length: size }, () => ((seed = (seed * 16807) % 2147483647) / 2147483647) - 0.5);
const view = (data: Float32Array, shape: number[], strides: number[], offset = 0): View<Float32Array> => ({ handle: data, dtype: 'float32', shape, strides, offset });

/** [B, R, C] views of fresh data: row-major, transposed, broadcast over the batch, or with gaps (sliced columns). */
function operand(batches: number, rows: number, columns: number, layout: 'row' | 'transposed' | 'broadcast' | 'sliced'): View<Float32Array> {
  switch (layout) {
    case 'row':
      return view(random(batches * rows * columns), [batches, rows, columns], [rows * columns, columns, 1]);
    case 'transposed':
      return view(random(batches * rows * columns), [batches, rows, columns], [rows * columns, 1, rows]);
    case 'broadcast':
      return view(random(rows * columns), [batches, rows, columns], [0, columns, 1]);
    case 'sliced':
      return view(random(batches * rows * (columns + 3) + 1), [batches, rows, columns], [rows * (columns + 3), columns + 3, 1], 1);
  }
}

describe.skipIf(!features.simd)('wasmMatmul', () => {
  const shapes = [[1, 1, 1, 1], [1, 7, 5, 3], [2, 13, 9, 17], [3, 11, 300, 65], [1, 6, 513, 40], [4, 5, 5, 8], [2, 1, 20, 9]];
  const layouts = ['row', 'transposed', 'broadcast', 'sliced'] as const;
  for (const [batches, m, k, n] of shapes) {
    it(`matches the JS gemm for [${batches}, ${m}, ${k}] · [${batches}, ${k}, ${n}] in every layout`, () => {
      for (const left of layouts) {
        for (const right of layouts) {
          const a = operand(batches, m, k, left);
          const b = operand(batches, k, n, right);
          const want = matmulKernel(a, b);
          for (const runtime of runtimes) {
            const comparison = compareArrays(wasmMatmul(runtime, a, b), want, { abs: 1e-5, rel: 1e-5 });
            expect(comparison.ok, `${left} × ${right}, ${runtime.pool.size} threads, ${runtime.relaxed ? "relaxed" : "plain"} SIMD: ${comparison.message}`).toBe(true);
          }
        }
      }
    });
  }

  it('gives bit-identical results for every thread count', () => {
    const a = operand(2, 203, 300, 'row');
    const b = operand(2, 300, 150, 'transposed');
    for (const relaxed of [false, true]) {
      const results = runtimes.filter((runtime) => runtime.relaxed === relaxed).map((runtime) => wasmMatmul(runtime, a, b));
      for (const result of results.slice(1)) expect(result).toEqual(results[0]);
    }
  });

  it('handles more small batches than a job has chunk indices', () => {
    const a = operand(70_000, 2, 3, 'row');
    const b = operand(70_000, 3, 2, 'transposed');
    const want = matmulKernel(a, b);
    for (const runtime of runtimes) expect(compareArrays(wasmMatmul(runtime, a, b), want, { abs: 1e-5, rel: 1e-5 }).ok).toBe(true);
  });

  it('returns zeros for an empty inner dimension and empty results for empty outer ones', () => {
    const runtime = runtimes[0];
    expect([...wasmMatmul(runtime, operand(1, 2, 0, 'row'), operand(1, 0, 3, 'row'))]).toEqual([0, 0, 0, 0, 0, 0]);
    expect(wasmMatmul(runtime, operand(1, 0, 4, 'row'), operand(1, 4, 3, 'row')).length).toBe(0);
  });
});

describe.skipIf(!features.simd || !features.sharedMemory)('the thread pool', () => {
  it('throws (instead of hanging) when a kernel traps, and keeps working afterwards', async () => {
    const runtime = new WasmRuntime({ threads: 2, relaxed: false });
    try {
      runtime.pool.start();
      for (let wait = 0; wait < 100 && runtime.pool.ready < 1; wait++) await new Promise((resolve) => setTimeout(resolve, 20));
      runtime.reset();
      const args = runtime.args();
      // A B operand far outside memory: every chunk traps, on the workers and on this thread.
      for (let offset = 0; offset < 64; offset += 4) runtime.setI32(args, offset, 1);
      runtime.setI32(args, GemmArgs.b, 0x7ff00000);
      runtime.setI32(args, GemmArgs.rowsPerChunk, 5);
      runtime.setI32(args, GemmArgs.m, 40);
      runtime.setI32(args, GemmArgs.k, 8);
      runtime.setI32(args, GemmArgs.chunksPerBatch, 8);
      expect(() => runtime.run('gemmChunk', args, 8, true)).toThrow();
      const a = operand(1, 30, 40, 'row');
      const b = operand(1, 40, 20, 'row');
      expect(compareArrays(wasmMatmul(runtime, a, b), matmulKernel(a, b), { abs: 1e-5, rel: 1e-5 }).ok).toBe(true);
    } finally {
      await runtime.close();
    }
  });
});
