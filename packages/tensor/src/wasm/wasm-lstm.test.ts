import { afterAll, describe, expect, it } from 'vitest';
import type { DataArray, View } from '../backend.js';
import { lstmSequenceKernel } from '../cpu/lstm.js';
import { compareArrays } from '../testing/allclose.js';
import { wasmFeatures } from './features.js';
import { WasmRuntime } from './runtime.js';
import { wasmLstmSequence } from './wasm-lstm.js';

const features = wasmFeatures();
const runtimes = features.simd ? [new WasmRuntime({ threads: 1, relaxed: false }), ...(features.sharedMemory ? [new WasmRuntime({ threads: 3, relaxed: false })] : [])] : [];
afterAll(() => Promise.all(runtimes.map((runtime) => runtime.close())));

let seed = 3;
const random = (size: number, scale = 1) => Float32Array.from({ length: size }, () => (((seed = (seed * 16807) % 2147483647) / 2147483647) * 2 - 1) * scale);
const dense = (data: DataArray, shape: number[]): View<DataArray> => ({
  handle: data,
  dtype: 'float32',
  shape,
  strides: shape.map((_, axis) => shape.slice(axis + 1).reduce((product, size) => product * size, 1)),
  offset: 0,
});

function inputs(steps: number, batch: number, size: number, options: { reverse: boolean; batchFirst: boolean; lengths: boolean; bias: boolean }) {
  // Batch-first input: a [B, T, 4H] array viewed as [T, B, 4H].
  const projected = options.batchFirst
    ? { ...dense(random(steps * batch * 4 * size, 2), [batch, steps, 4 * size]), shape: [steps, batch, 4 * size], strides: [4 * size, steps * 4 * size, 1] }
    : dense(random(steps * batch * 4 * size, 2), [steps, batch, 4 * size]);
  return {
    projected,
    weightHidden: dense(random(4 * size * size, 1 / Math.sqrt(size)), [4 * size, size]),
    biasHidden: options.bias ? dense(random(4 * size), [4 * size]) : null,
    hidden: dense(random(batch * size), [batch, size]),
    cell: dense(random(batch * size), [batch, size]),
    lengths: options.lengths ? Array.from({ length: batch }, (_, b) => 1 + ((b * 7) % steps)) : null,
    reverse: options.reverse,
    batchFirst: options.batchFirst,
    saveForBackward: true,
  };
}

describe.skipIf(!features.simd)('wasm fused LSTM sweep', () => {
  for (const [steps, batch, size] of [[1, 1, 1], [3, 2, 5], [7, 6, 16], [20, 16, 33], [9, 3, 64]]) {
    it(`matches the JS sweep for T=${steps} B=${batch} H=${size} in every direction, layout and length setting`, () => {
      for (const reverse of [false, true]) {
        for (const batchFirst of [false, true]) {
          for (const lengths of [false, true]) {
            const args = inputs(steps, batch, size, { reverse, batchFirst, lengths, bias: !lengths });
            const want = lstmSequenceKernel(args);
            for (const runtime of runtimes) {
              const got = wasmLstmSequence(runtime, args);
              for (const name of ['output', 'hidden', 'cell', 'gates', 'cells'] as const) {
                const comparison = compareArrays(got[name]!, want[name]!, { abs: 2e-6, rel: 1e-5 });
                expect(comparison.ok, `${name} (reverse ${reverse}, batchFirst ${batchFirst}, lengths ${lengths}, ${runtime.pool.size} threads): ${comparison.message}`).toBe(true);
              }
            }
          }
        }
      }
    });
  }

  it('gives bit-identical results for every thread count, with workers running', async () => {
    const threaded = runtimes[runtimes.length - 1];
    threaded.pool.start();
    for (let wait = 0; wait < 100 && threaded.pool.ready < threaded.pool.size - 1; wait++) await new Promise((resolve) => setTimeout(resolve, 20));
    const args = { ...inputs(30, 8, 96, { reverse: false, batchFirst: false, lengths: true, bias: true }), saveForBackward: false };
    const results = runtimes.map((runtime) => wasmLstmSequence(runtime, args));
    for (const result of results.slice(1)) {
      expect(result.output).toEqual(results[0].output);
      expect(result.cell).toEqual(results[0].cell);
    }
  });
});
