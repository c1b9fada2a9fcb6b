import { afterAll, describe, expect, it } from 'vitest';
import type { DataArray, View } from '../backend.js';
import { attentionBackwardKernel, attentionForwardKernel } from '../cpu/attention.js';
import { compareArrays } from '../testing/allclose.js';
import { wasmFeatures } from './features.js';
import { WasmRuntime } from './runtime.js';
import { wasmAttentionForward } from './wasm-attention.js';
import { wasmAttentionBackward } from './wasm-attention-backward.js';

const features = wasmFeatures();
// Plain SIMD and, where the engine has it (Node 22+, or Node 20 with the flag vitest.config.ts passes), relaxed SIMD.
const runtimes = features.simd
  ? [false, ...(features.relaxedSimd ? [true] : [])].flatMap((relaxed) => [new WasmRuntime({ threads: 1, relaxed }), ...(features.sharedMemory ? [new WasmRuntime({ threads: 3, relaxed })] : [])])
  : [];
afterAll(() => Promise.all(runtimes.map((runtime) => runtime.close())));

let seed = 11;
const random = (size: number) => Float32Array.from({ length: size }, () => ((seed = (seed * 16807) % 2147483647) / 2147483647) * 2 - 1);
const dense = (data: DataArray, shape: number[], dtype: 'float32' | 'bool' = 'float32'): View<DataArray> => ({
  handle: data,
  dtype,
  shape,
  strides: shape.map((_, axis) => shape.slice(axis + 1).reduce((product, size) => product * size, 1)),
  offset: 0,
});
const tolerance = { abs: 2e-5, rel: 1e-4 };

type MaskKind = 'none' | 'per key' | 'per query and key';
function problem(batches: number, queries: number, keys: number, depth: number, valueDepth: number, maskKind: MaskKind) {
  let mask: View<DataArray> | null = null;
  if (maskKind === 'per key') mask = { ...dense(Uint8Array.from(random(batches * keys), (x) => (x < 0.4 ? 1 : 0)), [batches, keys], 'bool'), shape: [batches, queries, keys], strides: [keys, 0, 1] };
  if (maskKind === 'per query and key') mask = { ...dense(Uint8Array.from(random(queries * keys), (x) => (x < 0.4 ? 1 : 0)), [queries, keys], 'bool'), shape: [batches, queries, keys], strides: [0, keys, 1] };
  return {
    query: dense(random(batches * queries * depth), [batches, queries, depth]),
    key: dense(random(batches * keys * depth), [batches, keys, depth]),
    value: dense(random(batches * keys * valueDepth), [batches, keys, valueDepth]),
    mask,
    scale: 2 / Math.sqrt(depth),
  };
}

const shapes = [[1, 1, 1, 1, 1], [2, 5, 7, 4, 3], [1, 70, 166, 16, 24], [2, 130, 100, 64, 64], [1, 9, 200, 8, 5], [2, 100, 40, 33, 17]];
const rules: { causal: boolean; window: readonly [number, number] | null }[] = [
  { causal: false, window: null },
  { causal: true, window: null },
  { causal: false, window: [3, 2] },
  { causal: true, window: [20, 0] },
];
const masks: MaskKind[] = ['none', 'per key', 'per query and key'];

describe.skipIf(!features.simd)('wasm attention kernels', () => {
  for (const [batches, queries, keys, depth, valueDepth] of shapes) {
    it(`match the JS kernels for N=${batches} L=${queries} S=${keys} D=${depth} Dv=${valueDepth} with every mask and rule`, () => {
      for (const rule of rules) {
        for (const maskKind of masks) {
          const inputs = { ...problem(batches, queries, keys, depth, valueDepth, maskKind), ...rule };
          const forward = attentionForwardKernel(inputs);
          const backwardInputs = {
            ...inputs,
            output: dense(forward.output, [batches, queries, valueDepth]),
            logSumExp: dense(forward.logSumExp, [batches, queries]),
            gradOutput: dense(random(batches * queries * valueDepth), [batches, queries, valueDepth]),
          };
          const backward = attentionBackwardKernel(backwardInputs);
          for (const runtime of runtimes) {
            const label = `${JSON.stringify(rule)}, mask ${maskKind}, ${runtime.pool.size} threads, ${runtime.relaxed ? 'relaxed' : 'plain'} SIMD`;
            const got = wasmAttentionForward(runtime, inputs);
            const gotBackward = wasmAttentionBackward(runtime, backwardInputs);
            for (const [name, actual, expected] of [
              ['output', got.output, forward.output],
              ['logSumExp', got.logSumExp, forward.logSumExp],
              ['gradQuery', gotBackward.gradQuery, backward.gradQuery],
              ['gradKey', gotBackward.gradKey, backward.gradKey],
              ['gradValue', gotBackward.gradValue, backward.gradValue],
            ] as const) {
              const comparison = compareArrays(actual, expected, tolerance);
              expect(comparison.ok, `${name} (${label}): ${comparison.message}`).toBe(true);
            }
          }
        }
      }
    });
  }

  it('puts zeros (and -Infinity log-sum-exp) on queries that see no key, and no NaN anywhere', () => {
    // L > S with a causal mask: the first L - S queries see nothing.
    const inputs = { ...problem(1, 12, 5, 8, 8, 'none'), causal: true, window: null };
    for (const runtime of runtimes) {
      const { output, logSumExp } = wasmAttentionForward(runtime, inputs);
      expect([...logSumExp.subarray(0, 7)]).toEqual(new Array(7).fill(-Infinity));
      expect([...output.subarray(0, 7 * 8)].every((value) => value === 0)).toBe(true);
      expect(logSumExp.subarray(7).every(Number.isFinite)).toBe(true);
      const backward = wasmAttentionBackward(runtime, {
        ...inputs,
        output: dense(output, [1, 12, 8]),
        logSumExp: dense(logSumExp, [1, 12]),
        gradOutput: dense(random(96), [1, 12, 8]),
      });
      expect([...backward.gradQuery.subarray(0, 7 * 8)].every((value) => value === 0)).toBe(true);
      expect([...backward.gradKey, ...backward.gradValue, ...backward.gradQuery].every(Number.isFinite)).toBe(true);
    }
  });

  it('gives bit-identical results for every thread count', () => {
    const inputs = { ...problem(2, 150, 230, 32, 32, 'per key'), causal: true, window: null };
    for (const relaxed of [false, true]) {
      const outputs = runtimes.filter((runtime) => runtime.relaxed === relaxed).map((runtime) => wasmAttentionForward(runtime, inputs).output);
      for (const output of outputs.slice(1)) expect(output).toEqual(outputs[0]);
    }
  });
});
