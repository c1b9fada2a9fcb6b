import { describe, expect, it } from 'vitest';
import {
  BackendError,
  Generator,
  GradientError,
  ShapeError,
  ValueError,
  backward,
  concat,
  cpuBackend,
  getBackend,
  gruSequence,
  lstmSequence,
  randn,
  rnnSequence,
  withBackend,
  type Backend,
  type Tensor,
} from '../index.js';
import { assertAllclose, gradcheck } from '../testing/index.js';

const generator = new Generator(21);
const r = (shape: number[], scale = 1): Tensor => randn(shape, { generator }).mul(scale);
type Cell = 'lstm' | 'gru' | 'rnn_tanh' | 'rnn_relu';
const gates: Record<Cell, number> = { lstm: 4, gru: 3, rnn_tanh: 1, rnn_relu: 1 };
const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

/** Plain float64 loops over PyTorch's cell formulas: output [B, T, H] (batch-first), hN, cN. */
function oracle(cell: Cell, projected: Tensor, weight: Tensor, bias: Tensor, h0: Tensor, c0: Tensor, reverse: boolean, lengths: number[]) {
  const [batch, steps, width] = projected.shape;
  const size = width / gates[cell];
  const [x, w, bh] = [projected.dataSync(), weight.dataSync(), bias.dataSync()];
  const output = new Float64Array(batch * steps * size);
  const hN = Float64Array.from(h0.dataSync());
  const cN = Float64Array.from(c0.dataSync());
  for (let b = 0; b < batch; b++) {
    const h = hN.subarray(b * size, (b + 1) * size);
    const c = cN.subarray(b * size, (b + 1) * size);
    for (let s = 0; s < lengths[b]; s++) {
      const t = reverse ? lengths[b] - 1 - s : s;
      const hidden = Array.from({ length: width }, (_, k) => bh[k] + h.reduce((sum, value, j) => sum + value * w[k * size + j], 0));
      const input = (k: number): number => x[(b * steps + t) * width + k];
      for (let j = 0; j < size; j++) {
        if (cell === 'lstm') {
          const [i, f, g, o] = [0, 1, 2, 3].map((k) => input(k * size + j) + hidden[k * size + j]);
          c[j] = sigmoid(f) * c[j] + sigmoid(i) * Math.tanh(g);
          output[(b * steps + t) * size + j] = sigmoid(o) * Math.tanh(c[j]);
        } else if (cell === 'gru') {
          const reset = sigmoid(input(j) + hidden[j]);
          const update = sigmoid(input(size + j) + hidden[size + j]);
          const n = Math.tanh(input(2 * size + j) + reset * hidden[2 * size + j]);
          output[(b * steps + t) * size + j] = (1 - update) * n + update * h[j];
        } else {
          const pre = input(j) + hidden[j];
          output[(b * steps + t) * size + j] = cell === 'rnn_relu' ? Math.max(pre, 0) : Math.tanh(pre);
        }
      }
      for (let j = 0; j < size; j++) h[j] = output[(b * steps + t) * size + j];
    }
  }
  return { output, hN, cN };
}

function run(cell: Cell, inputs: Tensor[], options: { reverse?: boolean; batchFirst?: boolean; lengths?: number[] | null; implementation?: 'auto' | 'fused' | 'composed' }) {
  const [projected, weightHh, biasHh, h0, c0] = inputs;
  const common = { biasHh, h0, ...options };
  if (cell === 'lstm') return lstmSequence(projected, weightHh, { ...common, c0 });
  if (cell === 'gru') return { ...gruSequence(projected, weightHh, common), cN: null };
  return { ...rnnSequence(projected, weightHh, { ...common, nonlinearity: cell === 'rnn_relu' ? 'relu' : 'tanh' }), cN: null };
}

function inputsOf(cell: Cell, batch: number, steps: number, size: number): Tensor[] {
  const width = gates[cell] * size;
  return [r([batch, steps, width]), r([width, size], 1 / Math.sqrt(size)), r([width], 0.5), r([batch, size], 0.5), r([batch, size], 0.5)];
}

const lossOf = (result: { output: Tensor; hN: Tensor; cN: Tensor | null }, seeds: Tensor[]): Tensor => {
  let loss = result.output.mul(seeds[0]).sum().add(result.hN.mul(seeds[1]).sum());
  if (result.cN) loss = loss.add(result.cN.mul(seeds[2]).sum());
  return loss;
};

describe.each(['lstm', 'gru', 'rnn_tanh', 'rnn_relu'] as const)('%s sequence op', (cell) => {
  it('matches plain loops over PyTorch formulas on the fused and composed paths', () => {
    const inputs = inputsOf(cell, 3, 5, 6);
    for (const reverse of [false, true]) {
      for (const lengths of [null, [5, 2, 4]]) {
        const want = oracle(cell, inputs[0], inputs[1], inputs[2], inputs[3], inputs[4], reverse, lengths ?? [5, 5, 5]);
        for (const implementation of ['fused', 'composed'] as const) {
          const got = run(cell, inputs, { reverse, lengths, implementation });
          assertAllclose(got.output, want.output, { abs: 1e-5, rel: 1e-4 });
          assertAllclose(got.hN, want.hN, { abs: 1e-5, rel: 1e-4 });
          if (got.cN) assertAllclose(got.cN, want.cN, { abs: 1e-5, rel: 1e-4 });
          // Time-major input gives the same numbers, time-major.
          const timeMajor = run(cell, [inputs[0].transpose(0, 1), ...inputs.slice(1)], { reverse, lengths, implementation, batchFirst: false });
          assertAllclose(timeMajor.output.transpose(0, 1), want.output, { abs: 1e-5, rel: 1e-4 });
        }
      }
    }
  });

  it('has gradients that match finite differences (fused and composed, with lengths, both directions and layouts)', () => {
    for (const [implementation, reverse, batchFirst] of [['fused', false, true], ['fused', true, false], ['composed', true, true]] as const) {
      const inputs = inputsOf(cell, 2, 4, 3);
      const leaves = cell === 'lstm' ? inputs : inputs.slice(0, 4);
      const result = gradcheck(
        (...values) => {
          const projected = batchFirst ? values[0] : values[0].transpose(0, 1);
          const out = run(cell, [projected, ...values.slice(1), inputs[4]], { reverse, batchFirst, lengths: [4, 2], implementation });
          const output = batchFirst ? out.output : out.output.transpose(0, 1);
          return concat([output.reshape([-1]), out.hN.reshape([-1]), ...(out.cN ? [out.cN.reshape([-1])] : [])], 0);
        },
        leaves,
        { atol: 3e-3, rtol: 3e-2 },
      );
      expect(result.ok, `${implementation} reverse ${reverse} batchFirst ${batchFirst}: ${result.message}`).toBe(true);
    }
  });

  it('gives the same gradients on the WebAssembly kernels, the plain JS kernels, without backward kernels, and composed', () => {
    const inputs = inputsOf(cell, 5, 7, 9);
    const seeds = [r([5, 7, 9]), r([5, 9]), r([5, 9])];
    const lengths = [7, 3, 1, 6, 7];
    const forwardOnly = (backend: Backend): Backend => ({ ...backend, supports: (kernel) => !kernel.endsWith('Backward') && backend.supports!(kernel), runFused: backend.runFused!.bind(backend) });
    const plain = cpuBackend({ simd: false });
    const backends: [string, Backend, 'fused' | 'composed'][] = [
      ['default', getBackend(), 'fused'],
      ['plain JS', plain, 'fused'],
      ['forward kernel only', forwardOnly(getBackend()), 'fused'],
      ['composed', getBackend(), 'composed'],
    ];
    const runs = backends.map(([, backend, implementation]) =>
      withBackend(backend, () => {
        const leaves = inputs.map((input) => input.to(backend).detach().requiresGrad_());
        const out = run(cell, leaves, { lengths, reverse: true, implementation });
        backward(lossOf(out, seeds.map((seed) => seed.to(backend))));
        return { out, grads: (cell === 'lstm' ? leaves : leaves.slice(0, 4)).map((leaf) => leaf.grad!) };
      }),
    );
    for (const [index, [name]] of backends.entries()) {
      assertAllclose(runs[index].out.output, runs[0].out.output, { abs: 1e-5, rel: 1e-4 });
      runs[index].grads.forEach((grad, position) => {
        expect(grad, `${name}: gradient ${position}`).toBeDefined();
        assertAllclose(grad, runs[0].grads[position], { abs: 2e-5, rel: 1e-4 });
      });
    }
  });
});

describe('recurrent sequence ops reject bad input before any kernel runs', () => {
  const [projected, weightHh, biasHh, h0] = inputsOf('lstm', 2, 3, 4);
  it('checks shapes, lengths and options', () => {
    expect(() => lstmSequence(projected.reshape([6, 16]), weightHh)).toThrow(ShapeError);
    expect(() => lstmSequence(projected, weightHh.slice(0, 0, 12))).toThrow(ShapeError);
    expect(() => lstmSequence(projected, weightHh, { biasHh: biasHh.slice(0, 0, 3) })).toThrow(ShapeError);
    expect(() => lstmSequence(projected, weightHh, { h0: h0.reshape([4, 2]) })).toThrow(ShapeError);
    expect(() => gruSequence(projected, weightHh)).toThrow(ShapeError);
    expect(() => lstmSequence(projected, weightHh, { lengths: [3, 4] })).toThrow(ValueError);
    expect(() => lstmSequence(projected, weightHh, { lengths: [3] })).toThrow(ShapeError);
    expect(() => rnnSequence(projected.slice(2, 0, 4), weightHh.slice(0, 0, 4), { nonlinearity: 'gelu' as 'tanh' })).toThrow(ValueError);
    expect(() => lstmSequence(projected, weightHh, { implementation: 'fast' as 'auto' })).toThrow(ValueError);
  });

  it("refuses 'fused' on a backend without the kernel, and second-order gradients", () => {
    const bare: Backend = { ...getBackend(), supports: () => false };
    expect(() => withBackend(bare, () => lstmSequence(projected.to(bare), weightHh.to(bare), { implementation: 'fused' }))).toThrow(BackendError);
    const leaf = projected.detach().requiresGrad_();
    for (const implementation of ['fused', 'composed'] as const) {
      const { output } = lstmSequence(leaf, weightHh, { implementation });
      expect(() => backward(output.sum(), { createGraph: true })).toThrow(GradientError);
    }
  });
});
