import { afterAll, describe, expect, it } from 'vitest';
import type { DataArray, View } from '../backend.js';
import { softmaxKernel } from '../cpu/softmax.js';
import { compareArrays } from '../testing/allclose.js';
import { wasmFeatures } from './features.js';
import { WasmRuntime } from './runtime.js';
import { wasmSoftmax } from './wasm-softmax.js';

const features = wasmFeatures();
// Plain SIMD and, where the engine has it (Node 22+, or Node 20 with the flag vitest.config.ts passes), relaxed SIMD.
const runtimes = features.simd
  ? [false, ...(features.relaxedSimd ? [true] : [])].flatMap((relaxed) => [new WasmRuntime({ threads: 1, relaxed }), ...(features.sharedMemory ? [new WasmRuntime({ threads: 3, relaxed })] : [])])
  : [];
afterAll(() => Promise.all(runtimes.map((runtime) => runtime.close())));

let seed = 5;
const random = (size: number, scale: number) => Float32Array.from({ length: size }, () => (((seed = (seed * 16807) % 2147483647) / 2147483647) * 2 - 1) * scale);
const dense = (data: Float32Array, shape: number[]): View<DataArray> => ({ handle: data, dtype: 'float32', shape, strides: shape.map((_, axis) => shape.slice(axis + 1).reduce((p, s) => p * s, 1)), offset: 0 });

describe.skipIf(!features.simd)('wasm softmax', () => {
  it('matches the JS kernel for every row length, large logits, and fully -Infinity rows', () => {
    for (const [rows, columns] of [[1, 1], [3, 5], [7, 8], [4, 13], [100, 129], [2, 1000]]) {
      for (const scale of [1, 30, 1e4]) {
        const data = random(rows * columns, scale);
        if (rows > 2) data.fill(-Infinity, columns, 2 * columns);
        if (rows > 2) data[2 * columns] = -Infinity;
        for (const log of [false, true]) {
          const want = softmaxKernel(dense(data, [rows, columns]), log);
          for (const runtime of runtimes) {
            const comparison = compareArrays(wasmSoftmax(runtime, dense(data, [rows, columns]), log), want, { abs: 1e-5, rel: 1e-5 });
            expect(comparison.ok, `[${rows}, ${columns}] × ${scale}, log ${log}, ${runtime.pool.size} threads, ${runtime.relaxed ? "relaxed" : "plain"} SIMD: ${comparison.message}`).toBe(true);
          }
        }
      }
    }
  });

  it('gives exactly 1 for a single column and zeros for a row of -Infinity', () => {
    const runtime = runtimes[0];
    expect([...wasmSoftmax(runtime, dense(Float32Array.from([3, -7]), [2, 1]), false)]).toEqual([1, 1]);
    expect([...wasmSoftmax(runtime, dense(Float32Array.from([-Infinity, -Infinity, 0, 1]), [2, 2]), false)].slice(0, 2)).toEqual([0, 0]);
    expect([...wasmSoftmax(runtime, dense(Float32Array.from([-Infinity, -Infinity, 0, 1]), [2, 2]), true)].slice(0, 2)).toEqual([-Infinity, -Infinity]);
  });
});
