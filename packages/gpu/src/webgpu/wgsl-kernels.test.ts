import { existsSync } from 'node:fs';
import { Generator, Tensor, cpuBackend, randn, withBackend, type Backend } from '@heed/tensor';
import { compareArrays } from '@heed/tensor/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGpuBackend, probeWebGpu, type GpuBackend } from '../index.js';

// The WGSL kernels against the CPU backend on awkward shapes. They need a WebGPU adapter: in Node
// that is Dawn on a Vulkan driver (SwiftShader from the chromium package when installed, as
// scripts/test-gpu.mjs arranges); without one the block is skipped.
const swiftshader = '/usr/lib/chromium/vk_swiftshader_icd.json';
if (!process.env.VK_ICD_FILENAMES && !process.env.VK_DRIVER_FILES && existsSync(swiftshader)) process.env.VK_ICD_FILENAMES = swiftshader;
const probe = await probeWebGpu({ allowSoftwareAdapter: true });

const cpu = cpuBackend();

async function expectClose(got: Tensor, want: Tensor, label: string, tolerance = 1e-4): Promise<void> {
  const result = compareArrays(await got.data(), want.dataSync(), { abs: tolerance, rel: tolerance });
  expect(result.ok, `${label}: ${result.message}`).toBe(true);
}

/** The same seeded tensor on `backend`. */
const seeded = (backend: Backend, shape: number[], seed: number): Tensor => withBackend(backend, () => randn(shape, { generator: new Generator(seed) }));

interface AttentionCase {
  batches: number;
  queries: number;
  keys: number;
  depth: number;
  valueDepth: number;
  causal: boolean;
  window: readonly [number, number] | null;
  /** Keys each query row keeps: 'random' (some rows fully masked) or none. */
  mask: 'random' | 'rows' | null;
  /** Pass transposed (strided) query and key views. */
  strided?: boolean;
}

/** Fused forward and backward on `backend`: output, logSumExp (floored), and the three gradients. */
function fused(backend: Backend, options: AttentionCase): Tensor[] {
  const { batches, queries, keys, depth, valueDepth } = options;
  const query = options.strided ? seeded(backend, [batches, depth, queries], 1).transpose(1, 2) : seeded(backend, [batches, queries, depth], 1);
  const key = options.strided ? seeded(backend, [keys, batches, depth], 2).transpose(0, 1) : seeded(backend, [batches, keys, depth], 2);
  const value = seeded(backend, [batches, keys, valueDepth], 3);
  const gradOutput = seeded(backend, [batches, queries, valueDepth], 4);
  return withBackend(backend, () => {
    let mask = null;
    if (options.mask === 'random') mask = seeded(backend, [batches, queries, keys], 5).gt(0.3).view;
    if (options.mask === 'rows') {
      // Every other query row sees no key at all (zero output, zero gradients).
      const keep = seeded(backend, [batches, 1, keys], 6).gt(-0.5);
      const rows = withBackend(backend, () => Tensor.fromHandle(backend, backend.upload(Uint8Array.from({ length: queries }, (_, index) => index % 2), 'bool'), [1, queries, 1], 'bool'));
      mask = keep.logicalAnd(rows).view;
    }
    const common = { query: query.view, key: key.view, value: value.view, mask, causal: options.causal, scale: 1 / Math.sqrt(depth), window: options.window };
    const forward = backend.runFused!('attentionForward', common);
    const output = Tensor.fromHandle(backend, forward.output, [batches, queries, valueDepth], 'float32');
    const logSumExp = Tensor.fromHandle(backend, forward.logSumExp, [batches, queries], 'float32');
    const backward = backend.runFused!('attentionBackward', { ...common, output: output.view, logSumExp: logSumExp.view, gradOutput: gradOutput.view });
    return [
      output,
      logSumExp.maximum(-1e30),
      Tensor.fromHandle(backend, backward.gradQuery, [batches, queries, depth], 'float32'),
      Tensor.fromHandle(backend, backward.gradKey, [batches, keys, depth], 'float32'),
      Tensor.fromHandle(backend, backward.gradValue, [batches, keys, valueDepth], 'float32'),
    ];
  });
}

describe.skipIf(!probe.available)(`WGSL kernels on WebGPU (${probe.description})`, () => {
  let backend: GpuBackend;
  let split: GpuBackend;
  beforeAll(async () => {
    backend = await createGpuBackend({ mode: 'webgpu' });
    split = await createGpuBackend({ mode: 'webgpu', attentionKeySplits: 3 });
  });
  afterAll(async () => {
    await split.destroy();
    await backend.destroy();
  });

  it('tiled matmul matches the CPU on edge tiles, transposed views and broadcast batches', async () => {
    const cases: [string, (target: Backend) => Tensor][] = [
      ['[3, 67, 45] × [3, 45, 131]', (target) => seeded(target, [3, 67, 45], 1).matmul(seeded(target, [3, 45, 131], 2))],
      ['aᵀ × bᵀ', (target) => seeded(target, [2, 45, 67], 1).transpose(1, 2).matmul(seeded(target, [2, 131, 45], 2).transpose(1, 2))],
      ['batch broadcast [4, 33, 17] × [17, 9]', (target) => seeded(target, [4, 33, 17], 3).matmul(seeded(target, [17, 9], 4))],
      ['vector × matrix', (target) => seeded(target, [70], 5).matmul(seeded(target, [70, 3], 6))],
      ['large tiles [10, 259, 40] × [10, 40, 520]', (target) => seeded(target, [10, 259, 40], 7).matmul(seeded(target, [10, 40, 520], 8))],
      ['K = 0', (target) => seeded(target, [3, 0], 9).matmul(seeded(target, [0, 4], 10))],
      ['a sliced view', (target) => seeded(target, [6, 80], 11).slice(1, 3, 50).matmul(seeded(target, [47, 20], 12))],
    ];
    for (const [label, build] of cases) {
      const got = withBackend(backend, () => build(backend));
      await expectClose(got, withBackend(cpu, () => build(cpu)), label);
    }
    // Two tile shapes × the operand layouts above ran as WGSL pipelines, not gpu.js programs.
    expect(backend.memory().wgslPipelines).toBeGreaterThanOrEqual(3);
  }, 300_000);

  it('wgsl: false runs every kernel through gpu.js', async () => {
    const plain = await createGpuBackend({ mode: 'webgpu', wgsl: false });
    const build = (target: Backend): Tensor => seeded(target, [5, 7], 1).matmul(seeded(target, [7, 3], 2));
    await expectClose(withBackend(plain, () => build(plain)), withBackend(cpu, () => build(cpu)), 'gpu.js matmul');
    expect(plain.supports!('lstmSequence')).toBe(false);
    expect(plain.memory().wgslPipelines).toBe(0);
    await plain.destroy();
  }, 300_000);

  const attentionCases: [string, AttentionCase][] = [
    ['L ≠ S, D not a multiple of 4', { batches: 2, queries: 70, keys: 45, depth: 5, valueDepth: 3, causal: false, window: null, mask: null }],
    ['causal with L > S (leading rows see no key)', { batches: 2, queries: 50, keys: 20, depth: 8, valueDepth: 6, causal: true, window: null, mask: null }],
    ['causal with L < S, many key tiles, D = 64', { batches: 1, queries: 40, keys: 150, depth: 64, valueDepth: 64, causal: true, window: null, mask: null }],
    ['random mask', { batches: 3, queries: 33, keys: 71, depth: 16, valueDepth: 12, causal: false, window: null, mask: 'random' }],
    ['fully masked rows', { batches: 2, queries: 9, keys: 13, depth: 4, valueDepth: 4, causal: false, window: null, mask: 'rows' }],
    ['sliding window, L > S', { batches: 2, queries: 80, keys: 66, depth: 7, valueDepth: 9, causal: false, window: [5, 2], mask: null }],
    ['transposed query and key views, causal + mask', { batches: 2, queries: 30, keys: 30, depth: 12, valueDepth: 8, causal: true, window: null, mask: 'random', strided: true }],
    ['head dimension over 256 (the gpu.js kernels run instead)', { batches: 1, queries: 5, keys: 7, depth: 260, valueDepth: 3, causal: true, window: null, mask: null }],
  ];
  for (const [label, options] of attentionCases) {
    it(`flash attention forward and backward: ${label}`, async () => {
      const want = fused(cpu, options);
      for (const [name, target] of [['default', backend], ['3 key splits', split]] as const) {
        const got = fused(target, options);
        const parts = ['output', 'logSumExp', 'gradQuery', 'gradKey', 'gradValue'];
        for (let index = 0; index < want.length; index++) await expectClose(got[index], want[index], `${name} ${parts[index]}`);
      }
      // The forward and the three backward dispatches are WGSL (new head dimensions compile new pipelines).
      if (options.depth <= 256) expect(backend.memory().wgslPipelines).toBeGreaterThanOrEqual(4);
    }, 300_000);
  }

  interface SweepCase {
    cell: 'lstm' | 'gru' | 'tanh' | 'relu';
    steps: number;
    batch: number;
    size: number;
    lengths: number[] | null;
    reverse: boolean;
    batchFirst: boolean;
    bias: boolean;
  }

  /** One fused sweep on `target`: every result as a tensor (gates and cells where saved). */
  function sweep(target: Backend, options: SweepCase): Tensor[] {
    const { cell, steps, batch, size } = options;
    const gates = cell === 'lstm' ? 4 : cell === 'gru' ? 3 : 1;
    const width = gates * size;
    // Batch-first projections arrive as a permuted [T, B, G·H] view; W_hh as a transposed view.
    const projected = options.batchFirst ? seeded(target, [batch, steps, width], 1).transpose(0, 1) : seeded(target, [steps, batch, width], 1);
    const weightHidden = withBackend(target, () => seeded(target, [size, width], 2).mul(0.4).transpose(0, 1));
    const biasHidden = options.bias ? seeded(target, [width], 3) : null;
    const hidden = seeded(target, [batch, size], 4);
    const cellState = seeded(target, [batch, size], 5);
    const common = { projected: projected.view, weightHidden: weightHidden.view, biasHidden: biasHidden?.view ?? null, hidden: hidden.view, lengths: options.lengths, reverse: options.reverse, batchFirst: options.batchFirst };
    const rows = steps * batch;
    const wrap = (handle: unknown, shape: number[]): Tensor => Tensor.fromHandle(target, handle, shape, 'float32');
    if (cell === 'lstm') {
      const result = target.runFused!('lstmSequence', { ...common, cell: cellState.view, saveForBackward: true });
      return [wrap(result.output, [rows, size]), wrap(result.hidden, [batch, size]), wrap(result.cell, [batch, size]), wrap(result.gates, [rows, 4 * size]), wrap(result.cells, [rows, size])];
    }
    if (cell === 'gru') {
      const result = target.runFused!('gruSequence', { ...common, saveForBackward: true });
      return [wrap(result.output, [rows, size]), wrap(result.hidden, [batch, size]), wrap(result.gates, [rows, 4 * size])];
    }
    const result = target.runFused!('rnnSequence', { ...common, nonlinearity: cell });
    return [wrap(result.output, [rows, size]), wrap(result.hidden, [batch, size])];
  }

  const sweepCases: [string, SweepCase][] = [
    ['LSTM, lengths, bias', { cell: 'lstm', steps: 7, batch: 3, size: 5, lengths: [7, 3, 1], reverse: false, batchFirst: false, bias: true }],
    ['LSTM, H = 128 (two threads per unit)', { cell: 'lstm', steps: 5, batch: 4, size: 128, lengths: [5, 4, 2, 5], reverse: false, batchFirst: false, bias: true }],
    ['LSTM, reverse, batch-first, no bias, H > 256 threads', { cell: 'lstm', steps: 4, batch: 2, size: 300, lengths: [2, 4], reverse: true, batchFirst: true, bias: false }],
    ['LSTM, H over the workgroup-memory state (device-memory state)', { cell: 'lstm', steps: 2, batch: 2, size: 2045, lengths: null, reverse: false, batchFirst: false, bias: true }],
    ['GRU, lengths, reverse', { cell: 'gru', steps: 6, batch: 3, size: 9, lengths: [6, 2, 5], reverse: true, batchFirst: false, bias: true }],
    ['GRU, batch-first, no bias', { cell: 'gru', steps: 5, batch: 2, size: 33, lengths: null, reverse: false, batchFirst: true, bias: false }],
    ['RNN tanh, lengths', { cell: 'tanh', steps: 8, batch: 4, size: 6, lengths: [8, 1, 5, 3], reverse: false, batchFirst: false, bias: true }],
    ['RNN relu, reverse, batch-first', { cell: 'relu', steps: 5, batch: 2, size: 7, lengths: [3, 5], reverse: true, batchFirst: true, bias: false }],
  ];
  for (const [label, options] of sweepCases) {
    it(`whole-sequence sweep: ${label}`, async () => {
      const kernel = options.cell === 'lstm' ? 'lstmSequence' : options.cell === 'gru' ? 'gruSequence' : 'rnnSequence';
      expect(backend.supports!(kernel)).toBe(true);
      const want = sweep(cpu, options);
      const got = sweep(backend, options);
      for (let index = 0; index < want.length; index++) await expectClose(got[index], want[index], `result ${index}`, 2e-4);
    }, 300_000);
  }
});
