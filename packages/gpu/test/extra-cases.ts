// Checks beyond the shared conformance suite, for what is particular to this backend: the fused
// attention kernels with many key tiles (the online-softmax path and the tiled backward) and, on
// WebGPU, split key loops; sliding windows; index arithmetic on a tensor large enough that inexact
// float32 division on a GPU would show; matmul on the WGSL kernel's edge tiles and layouts; and
// the fused recurrent sweeps where the backend has them. Each compares with @heed/tensor's CPU
// backend.
import { Generator, Tensor, arange, cpuBackend, randn, tensor, withBackend, type Backend } from '@heed/tensor';
import { compareArrays } from '@heed/tensor/testing';

/** A named check: resolves to null when it matches the CPU backend, else a description. */
export interface ExtraCase {
  name: string;
  run: (backend: Backend) => Promise<string | null>;
}

async function compare(label: string, got: Tensor[], want: Tensor[]): Promise<string | null> {
  for (let index = 0; index < want.length; index++) {
    const result = compareArrays(await got[index].data(), want[index].dataSync(), { abs: 1e-4, rel: 1e-4 });
    if (!result.ok) return `${label} result ${index}: ${result.message}`;
  }
  return null;
}

/** Fused forward and backward with a mask, causal/window rules, on `backend`; results as tensors. */
function fusedAttention(backend: Backend, options: { causal: boolean; window: readonly [number, number] | null; queries: number; keys: number }): Tensor[] {
  return withBackend(backend, () => {
    const generator = new Generator(99);
    const [batches, depth, valueDepth] = [3, 5, 4];
    const query = randn([batches, options.queries, depth], { generator });
    const key = randn([batches, options.keys, depth], { generator });
    const value = randn([batches, options.keys, valueDepth], { generator });
    const keep = randn([batches, 1, options.keys], { generator }).gt(-1);
    const mask = { ...keep.view, shape: [batches, options.queries, options.keys], strides: [keep.strides[0], 0, keep.strides[2]] };
    const common = { query: query.view, key: key.view, value: value.view, mask, causal: options.causal, scale: 0.4, window: options.window };
    const forward = backend.runFused!('attentionForward', common);
    const output = Tensor.fromHandle(backend, forward.output, [batches, options.queries, valueDepth], 'float32');
    const logSumExp = Tensor.fromHandle(backend, forward.logSumExp, [batches, options.queries], 'float32');
    const gradOutput = randn([batches, options.queries, valueDepth], { generator });
    const backward = backend.runFused!('attentionBackward', { ...common, output: output.view, logSumExp: logSumExp.view, gradOutput: gradOutput.view });
    return [
      output,
      logSumExp.maximum(-1e30),
      Tensor.fromHandle(backend, backward.gradQuery, [batches, options.queries, depth], 'float32'),
      Tensor.fromHandle(backend, backward.gradKey, [batches, options.keys, depth], 'float32'),
      Tensor.fromHandle(backend, backward.gradValue, [batches, options.keys, valueDepth], 'float32'),
    ];
  });
}

/** One fused sweep (7 steps, batch 3, hidden 37, lengths 7/3/5, reverse, batch-first projections) on `backend`. */
function fusedSweep(backend: Backend, cell: 'lstm' | 'gru' | 'tanh'): Tensor[] {
  return withBackend(backend, () => {
    const generator = new Generator(7);
    const [steps, batch, size] = [7, 3, 37];
    const width = (cell === 'lstm' ? 4 : cell === 'gru' ? 3 : 1) * size;
    const projected = randn([batch, steps, width], { generator }).transpose(0, 1);
    const weightHidden = randn([width, size], { generator }).mul(0.3);
    const biasHidden = randn([width], { generator });
    const hidden = randn([batch, size], { generator });
    const cellState = randn([batch, size], { generator });
    const common = { projected: projected.view, weightHidden: weightHidden.view, biasHidden: biasHidden.view, hidden: hidden.view, lengths: [7, 3, 5], reverse: true, batchFirst: true };
    const wrap = (handle: unknown, shape: number[]): Tensor => Tensor.fromHandle(backend, handle, shape, 'float32');
    const rows = steps * batch;
    if (cell === 'lstm') {
      const result = backend.runFused!('lstmSequence', { ...common, cell: cellState.view, saveForBackward: true });
      return [wrap(result.output, [rows, size]), wrap(result.hidden, [batch, size]), wrap(result.cell, [batch, size]), wrap(result.gates, [rows, 4 * size]), wrap(result.cells, [rows, size])];
    }
    if (cell === 'gru') {
      const result = backend.runFused!('gruSequence', { ...common, saveForBackward: true });
      return [wrap(result.output, [rows, size]), wrap(result.hidden, [batch, size]), wrap(result.gates, [rows, 4 * size])];
    }
    const result = backend.runFused!('rnnSequence', { ...common, nonlinearity: 'tanh' });
    return [wrap(result.output, [rows, size]), wrap(result.hidden, [batch, size])];
  });
}

/**
 * The extra checks. `tiled` is a backend of the same mode created with a tiny
 * `attentionTileElements`, so attention runs over many key tiles.
 */
export function extraCases(tiled: Backend): ExtraCase[] {
  const cpu = cpuBackend();
  const attention = (name: string, options: Parameters<typeof fusedAttention>[1]): ExtraCase => ({
    name,
    run: async (backend) => {
      if (!backend.supports?.('attentionForward')) return null;
      const want = fusedAttention(cpu, options);
      return (await compare('one tile', fusedAttention(backend, options), want)) ?? compare('many tiles', fusedAttention(tiled, options), want);
    },
  });
  return [
    attention('fused attention, causal with Lq < Lk, masked keys', { causal: true, window: null, queries: 4, keys: 9 }),
    attention('fused attention, sliding window, Lq > Lk', { causal: false, window: [2, 1], queries: 8, keys: 6 }),
    attention('fused attention, causal, 70 queries and 150 keys (several key tiles, split loops)', { causal: true, window: null, queries: 70, keys: 150 }),
    {
      name: 'matmul: edge tiles, transposed operands, broadcast batch, large tiles',
      run: async (backend) => {
        const seeded = (shape: number[], seed: number): Tensor => randn(shape, { generator: new Generator(seed) });
        const build = (target: Backend): Tensor[] =>
          withBackend(target, () => [
            seeded([3, 67, 45], 1).matmul(seeded([3, 45, 131], 2)),
            seeded([2, 45, 67], 3).transpose(1, 2).matmul(seeded([2, 131, 45], 4).transpose(1, 2)),
            seeded([4, 33, 17], 5).matmul(seeded([17, 9], 6)),
            seeded([10, 259, 40], 7).matmul(seeded([10, 40, 520], 8)),
          ]);
        return compare('matmul', build(backend), build(cpu));
      },
    },
    ...(['lstm', 'gru', 'tanh'] as const).map((cell) => ({
      name: `fused ${cell} sweep: lengths, reverse, batch-first view`,
      run: async (backend: Backend) => {
        const kernel = cell === 'lstm' ? 'lstmSequence' : cell === 'gru' ? 'gruSequence' : 'rnnSequence';
        if (!backend.supports?.(kernel)) return null;
        return compare(`${cell} sweep`, fusedSweep(backend, cell), fusedSweep(cpu, cell));
      },
    })),
    {
      name: 'index arithmetic on 1,030,000 elements (transposed copy, prime sizes)',
      run: async (backend) => {
        const build = (target: Backend): Tensor[] =>
          withBackend(target, () => {
            const x = arange(1031 * 997).reshape([1031, 997]);
            return [x.transpose(0, 1).contiguous(), tensor([1031 * 997 - 1]).add(x.max())];
          });
        return compare('large', build(backend), build(cpu));
      },
    },
  ];
}
