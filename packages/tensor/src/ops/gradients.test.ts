import { describe, expect, it } from 'vitest';
import * as ops from '../index.js';
import { Generator, randn, tensor, type Tensor } from '../index.js';
import { gradcheck } from '../testing/index.js';

const generator = new Generator(11);
const r = (...shape: number[]): Tensor => randn(shape, { generator });
const positive = (...shape: number[]): Tensor => r(...shape).abs().add(0.5);
const index = (values: number[][]): Tensor => tensor(values, { dtype: 'int32' });

/** Every differentiable op, checked against central finite differences. */
const cases: [string, (...inputs: Tensor[]) => Tensor, () => Tensor[]][] = [
  ['add with broadcasting', (a, b) => ops.add(a, b), () => [r(2, 3), r(3)]],
  ['sub with broadcasting', (a, b) => ops.sub(a, b), () => [r(2, 1), r(1, 3)]],
  ['mul with broadcasting', (a, b) => ops.mul(a, b), () => [r(2, 3), r(2, 1)]],
  ['div', (a, b) => ops.div(a, b), () => [r(2, 3), positive(2, 3)]],
  ['pow (both operands)', (a, b) => ops.pow(a, b), () => [positive(3), r(3)]],
  ['maximum/minimum', (a, b) => ops.maximum(a, b).add(ops.minimum(a, b).mul(2)), () => [r(4), r(4)]],
  ['neg, exp, log, sqrt', (a) => ops.sqrt(ops.log(ops.exp(ops.neg(a)).add(1))), () => [r(5)]],
  ['tanh, sigmoid', (a) => ops.tanh(a).mul(ops.sigmoid(a)), () => [r(6)]],
  ['relu, abs (away from 0)', (a) => ops.relu(a).add(ops.abs(a)), () => [r(6).add(r(6).sign().mul(0.1))]],
  ['sin, cos, reciprocal', (a) => ops.sin(a).add(ops.cos(a)).add(ops.reciprocal(a.abs().add(1))), () => [r(5)]],
  ['erf and gelu', (a) => ops.gelu(a).add(ops.erf(a)), () => [r(6)]],
  ['softplus and elu', (a) => ops.softplus(a).add(ops.elu(a)), () => [r(6).add(0.05)]],
  ['where and maskedFill', (a, b) => ops.where(a.gt(0), a.mul(b), b).add(a.maskedFill(b.lt(0), 2)), () => [r(3, 4), r(3, 4)]],
  ['clamp', (a) => ops.clamp(a, -0.5, 0.5), () => [r(8).mul(0.9).add(0.013)]],
  ['sum over axes, keepDim', (a) => ops.sum(a, [0, 2], true).mul(ops.sum(a, 1).sum()), () => [r(2, 3, 4)]],
  ['mean and variance', (a) => ops.mean(a, -1).add(ops.variance(a, 0).sum()), () => [r(3, 4)]],
  ['max and min over an axis', (a) => ops.max(a, 1).add(ops.min(a, 1)), () => [r(3, 5)]],
  ['logSumExp', (a) => ops.logSumExp(a, -1), () => [r(3, 5).mul(3)]],
  ['matmul batched with broadcast', (a, b) => ops.matmul(a, b), () => [r(2, 3, 4), r(4, 2)]],
  ['matmul vector · matrix', (a, b) => ops.matmul(a, b), () => [r(4), r(4, 3)]],
  ['softmax over dims', (a) => ops.softmax(a, 1).mul(ops.softmax(a, -1)), () => [r(2, 3, 4)]],
  ['logSoftmax', (a) => ops.logSoftmax(a, -1), () => [r(3, 5)]],
  ['reshape, permute, transpose', (a) => a.permute([2, 0, 1]).reshape([4, 6]).transpose(0, 1).tanh(), () => [r(2, 3, 4)]],
  ['expand, squeeze, unsqueeze', (a) => a.unsqueeze(0).expand([3, 2, 4]).squeeze().tanh(), () => [r(2, 4)]],
  ['slice with step', (a) => a.slice(1, 1, 6, 2).mul(a.slice(1, 0, 3)), () => [r(3, 6)]],
  ['concat, stack, split', (a, b) => ops.concat([a, b], 1).add(ops.stack(ops.split(ops.concat([a, b], 1), 2, 1), 0).sum(0).sum(1, true)), () => [r(2, 2), r(2, 2)]],
  ['pad', (a) => ops.pad(a, [1, 2, 0, 1], 0.5).tanh(), () => [r(2, 3)]],
  ['gather and scatterAdd', (a, b) => ops.gather(a, 1, index([[0, 2], [1, 1]])).mul(ops.scatterAdd(a, 1, index([[0, 0], [2, 1]]), b).sum(1, true)), () => [r(2, 3), r(2, 2)]],
  ['indexSelect and embedding', (a) => ops.indexSelect(a, 0, tensor([2, 0, 2], { dtype: 'int32' })).add(ops.embedding(tensor([1, 1, 0], { dtype: 'int32' }), a)), () => [r(3, 4)]],
  ['layerNorm with affine', (a, w, b) => ops.layerNorm(a, [4], w, b), () => [r(3, 4), r(4), r(4)]],
  ['linear', (a, w, b) => ops.linear(a, w, b), () => [r(2, 3, 4), r(5, 4), r(5)]],
  ['crossEntropy with smoothing and ignore', (a) => ops.crossEntropy(a, tensor([0, 2, 1, 2], { dtype: 'int32' }), { ignoreIndex: 1, labelSmoothing: 0.2 }), () => [r(4, 3)]],
  ['crossEntropy over [N, C, T]', (a) => ops.crossEntropy(a, tensor([[0, 2], [1, 1]], { dtype: 'int32' })), () => [r(2, 3, 2)]],
  ['mseLoss', (a, b) => ops.mseLoss(a, b), () => [r(3, 2), r(3, 2)]],
];

describe('gradients match finite differences', () => {
  it.each(cases)('%s', (_name, fn, inputs) => {
    const result = gradcheck(fn, inputs());
    expect(result.message).toMatch(/max error/);
    expect(result.ok).toBe(true);
  });

  it('gradcheck catches a wrong rule', () => {
    const wrong = (x: Tensor): Tensor => ops.record('wrong', ops.exp(x).detach(), [x], (grad) => [grad.mul(2)]);
    expect(gradcheck(wrong, [r(3)]).ok).toBe(false);
  });
});
