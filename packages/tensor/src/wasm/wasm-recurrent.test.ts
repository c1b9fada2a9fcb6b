import { afterAll, describe, expect, it } from 'vitest';
import type { DataArray, View } from '../backend.js';
import { gruSequenceKernel } from '../cpu/gru.js';
import { lstmSequenceKernel } from '../cpu/lstm.js';
import { rnnSequenceKernel } from '../cpu/rnn.js';
import { compareArrays } from '../testing/allclose.js';
import { wasmFeatures } from './features.js';
import { WasmRuntime } from './runtime.js';
import { sweepThreading, wasmGruSequence, wasmLstmSequence, wasmRnnSequence } from './wasm-recurrent.js';

const features = wasmFeatures();
const runtimes = features.simd ? [new WasmRuntime({ threads: 1, relaxed: false }), ...(features.sharedMemory ? [new WasmRuntime({ threads: 3, relaxed: false })] : [])] : [];
// Run the threaded sweeps even when other processes keep the machine busy.
sweepThreading.ignoreLoad = true;
afterAll(async () => {
  sweepThreading.ignoreLoad = false;
  await Promise.all(runtimes.map((runtime) => runtime.close()));
});

let seed = 3;
const random = (size: number, scale = 1) => Float32Array.from({ length: size }, () => (((seed = (seed * 16807) % 2147483647) / 2147483647) * 2 - 1) * scale);
const dense = (data: DataArray, shape: number[]): View<DataArray> => ({
  handle: data,
  dtype: 'float32',
  shape,
  strides: shape.map((_, axis) => shape.slice(axis + 1).reduce((product, size) => product * size, 1)),
  offset: 0,
});

function inputs(steps: number, batch: number, size: number, options: { reverse: boolean; batchFirst: boolean; lengths: boolean; bias: boolean }, gates = 4) {
  // Batch-first input: a [B, T, 4H] array viewed as [T, B, 4H].
  const projected = options.batchFirst
    ? { ...dense(random(steps * batch * gates * size, 2), [batch, steps, gates * size]), shape: [steps, batch, gates * size], strides: [gates * size, steps * gates * size, 1] }
    : dense(random(steps * batch * gates * size, 2), [steps, batch, gates * size]);
  return {
    projected,
    weightHidden: dense(random(gates * size * size, 1 / Math.sqrt(size)), [gates * size, size]),
    biasHidden: options.bias ? dense(random(gates * size), [gates * size]) : null,
    hidden: dense(random(batch * size), [batch, size]),
    cell: dense(random(batch * size), [batch, size]),
    lengths: options.lengths ? Array.from({ length: batch }, (_, b) => 1 + ((b * 7) % steps)) : null,
    reverse: options.reverse,
    batchFirst: options.batchFirst,
    saveForBackward: true,
  };
}

describe.skipIf(!features.simd)('wasm fused LSTM, GRU and RNN sweeps', () => {
  for (const [steps, batch, size] of [[1, 1, 1], [3, 2, 5], [7, 6, 16], [20, 16, 33], [9, 3, 64]]) {
    it(`match the JS sweeps for T=${steps} B=${batch} H=${size} in every direction, layout and length setting`, () => {
      for (const reverse of [false, true]) {
        for (const batchFirst of [false, true]) {
          for (const lengths of [false, true]) {
            const args = inputs(steps, batch, size, { reverse, batchFirst, lengths, bias: !lengths });
            const want = lstmSequenceKernel(args);
            for (const runtime of runtimes) {
              const got = wasmLstmSequence(runtime, args);
              for (const name of ['output', 'hidden', 'cell', 'gates', 'cells'] as const) {
                const comparison = compareArrays(got[name]!, want[name]!, { abs: 2e-6, rel: 1e-5 });
                expect(comparison.ok, `LSTM ${name} (reverse ${reverse}, batchFirst ${batchFirst}, lengths ${lengths}, ${runtime.pool.size} threads): ${comparison.message}`).toBe(true);
              }
            }
            const { cell: _cell, ...gruArgs } = inputs(steps, batch, size, { reverse, batchFirst, lengths, bias: !lengths }, 3);
            const wantGru = gruSequenceKernel(gruArgs);
            for (const runtime of runtimes) {
              const got = wasmGruSequence(runtime, gruArgs);
              for (const name of ['output', 'hidden', 'gates'] as const) {
                const comparison = compareArrays(got[name]!, wantGru[name]!, { abs: 2e-6, rel: 1e-5 });
                expect(comparison.ok, `GRU ${name} (reverse ${reverse}, batchFirst ${batchFirst}, lengths ${lengths}, ${runtime.pool.size} threads): ${comparison.message}`).toBe(true);
              }
            }
            for (const nonlinearity of ['tanh', 'relu'] as const) {
              const { cell: _c, saveForBackward: _s, ...common } = inputs(steps, batch, size, { reverse, batchFirst, lengths, bias: !lengths }, 1);
              const rnnArgs = { ...common, nonlinearity };
              const wantRnn = rnnSequenceKernel(rnnArgs);
              for (const runtime of runtimes) {
                const got = wasmRnnSequence(runtime, rnnArgs);
                for (const name of ['output', 'hidden'] as const) {
                  const comparison = compareArrays(got[name], wantRnn[name], { abs: 2e-6, rel: 1e-5 });
                  expect(comparison.ok, `RNN ${nonlinearity} ${name} (reverse ${reverse}, batchFirst ${batchFirst}, lengths ${lengths}, ${runtime.pool.size} threads): ${comparison.message}`).toBe(true);
                }
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
    // Wide enough (B·H·H ≥ 2^17) that the RNN sweep splits its units over the threads.
    const { cell: _c, saveForBackward: _s, ...common } = inputs(30, 16, 128, { reverse: true, batchFirst: true, lengths: true, bias: true }, 1);
    const rnnArgs = { ...common, nonlinearity: 'tanh' as const };
    const want = rnnSequenceKernel(rnnArgs);
    const rnnResults = runtimes.map((runtime) => wasmRnnSequence(runtime, rnnArgs));
    for (const result of rnnResults) expect(compareArrays(result.output, want.output, { abs: 2e-6, rel: 1e-5 }).ok).toBe(true);
    for (const result of rnnResults.slice(1)) expect(result.output).toEqual(rnnResults[0].output);
  });
});
