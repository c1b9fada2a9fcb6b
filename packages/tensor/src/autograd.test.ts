import { describe, expect, it } from 'vitest';
import { GradientError, isGradEnabled, noGrad, ones, tensor, zeros } from './index.js';

describe('autograd', () => {
  it('accumulates gradients across backward calls', () => {
    const x = tensor([1, 2, 3], { requiresGrad: true });
    x.mul(x).sum().backward();
    x.mul(3).sum().backward();
    expect(x.grad?.toArray()).toEqual([5, 7, 9]);
    x.zeroGrad();
    expect(x.grad).toBeNull();
  });

  it('accumulates when a tensor is used twice in one graph', () => {
    const x = tensor([2], { requiresGrad: true });
    const y = x.mul(x).add(x);
    y.sum().backward();
    expect(x.grad?.toArray()).toEqual([5]);
  });

  it('undoes broadcasting in one place', () => {
    const bias = zeros([3], { requiresGrad: true });
    const column = zeros([2, 1], { requiresGrad: true });
    ones([2, 3]).add(bias).add(column).sum().backward();
    expect(bias.grad?.toArray()).toEqual([2, 2, 2]);
    expect(column.grad?.toArray()).toEqual([[3], [3]]);
  });

  it('records nothing inside noGrad and after detach', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const y = noGrad(() => {
      expect(isGradEnabled()).toBe(false);
      return x.mul(2);
    });
    expect(isGradEnabled()).toBe(true);
    expect(y.requiresGrad).toBe(false);
    expect(x.detach().mul(2).requiresGrad).toBe(false);
    expect(x.mul(2).requiresGrad).toBe(true);
  });

  it('needs an explicit gradient for non-scalar outputs and a graph to run', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    expect(() => x.mul(2).backward()).toThrow(GradientError);
    x.mul(2).backward(tensor([1, 10]));
    expect(x.grad?.toArray()).toEqual([2, 20]);
    expect(() => tensor([1]).backward()).toThrow(/does not require grad/);
  });

  it('keeps gradients of non-leaves only on request', () => {
    const x = tensor([3], { requiresGrad: true });
    const hidden = x.mul(2).retainGrad();
    const other = x.mul(4);
    hidden.mul(other).sum().backward();
    expect(hidden.grad?.toArray()).toEqual([12]);
    expect(other.grad).toBeNull();
  });

  it('supports higher-order gradients with createGraph', () => {
    const x = tensor([3], { requiresGrad: true });
    const y = x.mul(x).mul(x);
    y.backward({ createGraph: true });
    const first = x.grad!;
    expect(first.toArray()).toEqual([27]);
    x.zeroGrad();
    // d/dx (3x²) = 6x at x = 3
    const grad = x.mul(x).mul(3);
    grad.sum().backward();
    expect(x.grad?.toArray()).toEqual([18]);
  });

  it('gives zero (not NaN) gradients through a softmax row that is all -Infinity', () => {
    const x = tensor([[0, 1], [-Infinity, -Infinity]], { requiresGrad: true });
    x.softmax(-1).mul(tensor([[1, 2], [3, 4]])).sum().backward();
    const grad = x.grad!.toArray() as number[][];
    expect(grad[1]).toEqual([0, 0]);
    expect(grad.flat().every(Number.isFinite)).toBe(true);
  });
});
