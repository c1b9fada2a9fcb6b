import { afterAll, describe, expect, it } from 'vitest';
import type { DataArray, View } from '../backend.js';
import { gruSequenceKernel } from '../cpu/gru.js';
import { lstmSequenceKernel } from '../cpu/lstm.js';
import { gruSequenceBackwardKernel, lstmSequenceBackwardKernel, rnnSequenceBackwardKernel } from '../cpu/recurrent-backward.js';
import { rnnSequenceKernel } from '../cpu/rnn.js';
import { compareArrays } from '../testing/allclose.js';
import { wasmFeatures } from './features.js';
import { WasmRuntime } from './runtime.js';
import { wasmGruSequenceBackward, wasmLstmSequenceBackward, wasmRnnSequenceBackward } from './wasm-recurrent-backward.js';

const features = wasmFeatures();
const runtimes = features.simd ? [new WasmRuntime({ threads: 1, relaxed: false }), ...(features.sharedMemory ? [new WasmRuntime({ threads: 3, relaxed: false })] : [])] : [];
afterAll(async () => {
  await Promise.all(runtimes.map((runtime) => runtime.close()));
});

let seed = 11;
const random = (size: number, scale = 1) => Float32Array.from({ length: size }, () => (((seed = (seed * 16807) % 2147483647) / 2147483647) * 2 - 1) * scale);
const dense = (data: DataArray, shape: number[]): View<DataArray> => ({
  handle: data,
  dtype: 'float32',
  shape,
  strides: shape.map((_, axis) => shape.slice(axis + 1).reduce((product, size) => product * size, 1)),
  offset: 0,
});

/** A forward on the JS reference sweep, and the arguments of its backward with random output gradients. */
function problem(steps: number, batch: number, size: number, options: { reverse: boolean; batchFirst: boolean; lengths: boolean; seeds: boolean }) {
  const width = 4 * size;
  const rows = steps * batch;
  const projected = options.batchFirst
    ? { ...dense(random(rows * width, 2), [batch, steps, width]), shape: [steps, batch, width], strides: [width, steps * width, 1] }
    : dense(random(rows * width, 2), [steps, batch, width]);
  const forward = {
    projected,
    weightHidden: dense(random(width * size, 1 / Math.sqrt(size)), [width, size]),
    biasHidden: dense(random(width), [width]),
    hidden: dense(random(batch * size), [batch, size]),
    cell: dense(random(batch * size), [batch, size]),
    lengths: options.lengths ? Array.from({ length: batch }, (_, b) => 1 + ((b * 5) % steps)) : null,
    reverse: options.reverse,
    batchFirst: options.batchFirst,
    saveForBackward: true,
  };
  const result = lstmSequenceKernel({ ...forward, hidden: dense(Float32Array.from(forward.hidden.handle as Float32Array), [batch, size]), cell: dense(Float32Array.from(forward.cell.handle as Float32Array), [batch, size]) });
  return {
    steps,
    weightHidden: forward.weightHidden,
    hidden: forward.hidden,
    cell: forward.cell,
    lengths: forward.lengths,
    reverse: options.reverse,
    batchFirst: options.batchFirst,
    output: dense(result.output, [rows, size]),
    gates: dense(result.gates!, [rows, width]),
    cells: dense(result.cells!, [rows, size]),
    gradOutput: dense(random(rows * size), [rows, size]),
    gradHidden: options.seeds ? dense(random(batch * size), [batch, size]) : null,
    gradCell: options.seeds ? dense(random(batch * size), [batch, size]) : null,
    needWeightGradients: true,
  };
}

describe.skipIf(!features.simd)('wasm LSTM backward through time', () => {
  for (const [steps, batch, size] of [[1, 1, 1], [3, 2, 5], [7, 6, 16], [12, 16, 33], [5, 3, 64]]) {
    it(`matches the JS reference backward for T=${steps} B=${batch} H=${size} in every direction, layout and length setting`, () => {
      for (const reverse of [false, true]) {
        for (const batchFirst of [false, true]) {
          for (const lengths of [false, true]) {
            const args = problem(steps, batch, size, { reverse, batchFirst, lengths, seeds: lengths });
            const want = lstmSequenceBackwardKernel(args);
            const results = runtimes.map((runtime) => wasmLstmSequenceBackward(runtime, args));
            for (const [index, got] of results.entries()) {
              for (const name of ['gradProjected', 'gradHidden', 'gradCell', 'gradWeightHidden', 'gradBiasHidden'] as const) {
                const comparison = compareArrays(got[name]!, want[name]!, { abs: 2e-5, rel: 1e-4 });
                expect(comparison.ok, `${name} (reverse ${reverse}, batchFirst ${batchFirst}, lengths ${lengths}, ${runtimes[index].pool.size} threads): ${comparison.message}`).toBe(true);
              }
            }
            // The same bits whatever the thread count.
            for (const got of results.slice(1)) {
              for (const name of ['gradProjected', 'gradHidden', 'gradCell', 'gradWeightHidden', 'gradBiasHidden'] as const) expect(got[name]).toEqual(results[0][name]);
            }
          }
        }
      }
    });
  }

  it('skips the weight gradients when they are not needed', () => {
    const args = { ...problem(4, 3, 8, { reverse: false, batchFirst: false, lengths: false, seeds: false }), needWeightGradients: false };
    for (const runtime of runtimes) {
      const got = wasmLstmSequenceBackward(runtime, args);
      expect(got.gradWeightHidden).toBeNull();
      expect(got.gradBiasHidden).toBeNull();
      expect(compareArrays(got.gradProjected, lstmSequenceBackwardKernel(args).gradProjected, { abs: 2e-5, rel: 1e-4 }).ok).toBe(true);
    }
  });
});

/** A GRU forward on the JS reference sweep and its backward's arguments. */
function gruProblem(steps: number, batch: number, size: number, options: { reverse: boolean; batchFirst: boolean; lengths: boolean; seeds: boolean }) {
  const width = 3 * size;
  const rows = steps * batch;
  const projected = options.batchFirst
    ? { ...dense(random(rows * width, 2), [batch, steps, width]), shape: [steps, batch, width], strides: [width, steps * width, 1] }
    : dense(random(rows * width, 2), [steps, batch, width]);
  const weightHidden = dense(random(width * size, 1 / Math.sqrt(size)), [width, size]);
  const hidden = dense(random(batch * size), [batch, size]);
  const lengths = options.lengths ? Array.from({ length: batch }, (_, b) => 1 + ((b * 5) % steps)) : null;
  const result = gruSequenceKernel({
    projected, weightHidden, biasHidden: dense(random(width), [width]), hidden: dense(Float32Array.from(hidden.handle as Float32Array), [batch, size]),
    lengths, reverse: options.reverse, batchFirst: options.batchFirst, saveForBackward: true,
  });
  return {
    steps, weightHidden, hidden, lengths, reverse: options.reverse, batchFirst: options.batchFirst,
    output: dense(result.output, [rows, size]),
    gates: dense(result.gates!, [rows, 4 * size]),
    gradOutput: dense(random(rows * size), [rows, size]),
    gradHidden: options.seeds ? dense(random(batch * size), [batch, size]) : null,
    needWeightGradients: true,
  };
}

describe.skipIf(!features.simd)('wasm GRU backward through time', () => {
  for (const [steps, batch, size] of [[1, 1, 1], [3, 2, 5], [7, 6, 16], [12, 16, 33]]) {
    it(`matches the JS reference backward for T=${steps} B=${batch} H=${size} in every direction, layout and length setting`, () => {
      for (const reverse of [false, true]) {
        for (const batchFirst of [false, true]) {
          for (const lengths of [false, true]) {
            const args = gruProblem(steps, batch, size, { reverse, batchFirst, lengths, seeds: lengths });
            const want = gruSequenceBackwardKernel(args);
            const results = runtimes.map((runtime) => wasmGruSequenceBackward(runtime, args));
            for (const [index, got] of results.entries()) {
              for (const name of ['gradProjected', 'gradHidden', 'gradWeightHidden', 'gradBiasHidden'] as const) {
                const comparison = compareArrays(got[name]!, want[name]!, { abs: 2e-5, rel: 1e-4 });
                expect(comparison.ok, `${name} (reverse ${reverse}, batchFirst ${batchFirst}, lengths ${lengths}, ${runtimes[index].pool.size} threads): ${comparison.message}`).toBe(true);
              }
            }
            for (const got of results.slice(1)) {
              for (const name of ['gradProjected', 'gradHidden', 'gradWeightHidden', 'gradBiasHidden'] as const) expect(got[name]).toEqual(results[0][name]);
            }
          }
        }
      }
    });
  }
});

describe.skipIf(!features.simd)('wasm Elman RNN backward through time', () => {
  for (const [steps, batch, size] of [[1, 1, 1], [4, 3, 5], [9, 16, 33]]) {
    it(`matches the JS reference backward for T=${steps} B=${batch} H=${size}, tanh and relu, every direction, layout and length setting`, () => {
      for (const nonlinearity of ['tanh', 'relu'] as const) {
        for (const reverse of [false, true]) {
          for (const batchFirst of [false, true]) {
            for (const lengths of [false, true]) {
              const rows = steps * batch;
              const projected = dense(random(rows * size, 2), [steps, batch, size]);
              const weightHidden = dense(random(size * size, 1 / Math.sqrt(size)), [size, size]);
              const hidden = dense(random(batch * size), [batch, size]);
              const lengthList = lengths ? Array.from({ length: batch }, (_, b) => 1 + ((b * 5) % steps)) : null;
              const forward = rnnSequenceKernel({ projected, weightHidden, biasHidden: null, hidden: dense(Float32Array.from(hidden.handle as Float32Array), [batch, size]), lengths: lengthList, reverse, batchFirst, nonlinearity });
              const args = {
                steps, weightHidden, hidden, lengths: lengthList, reverse, batchFirst, nonlinearity,
                output: dense(forward.output, [rows, size]),
                gradOutput: dense(random(rows * size), [rows, size]),
                gradHidden: lengths ? dense(random(batch * size), [batch, size]) : null,
                needWeightGradients: true,
              };
              const want = rnnSequenceBackwardKernel(args);
              const results = runtimes.map((runtime) => wasmRnnSequenceBackward(runtime, args));
              for (const [index, got] of results.entries()) {
                for (const name of ['gradProjected', 'gradHidden', 'gradWeightHidden', 'gradBiasHidden'] as const) {
                  const comparison = compareArrays(got[name]!, want[name]!, { abs: 2e-5, rel: 1e-4 });
                  expect(comparison.ok, `${nonlinearity} ${name} (reverse ${reverse}, batchFirst ${batchFirst}, lengths ${lengths}, ${runtimes[index].pool.size} threads): ${comparison.message}`).toBe(true);
                }
              }
              for (const got of results.slice(1)) expect(got.gradWeightHidden).toEqual(results[0].gradWeightHidden);
            }
          }
        }
      }
    });
  }
});
