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

  it('differentiates .grad again after createGraph: d²/dx² x³ = 6x', () => {
    const x = tensor([3, -2], { requiresGrad: true });
    x.mul(x).mul(x).sum().backward({ createGraph: true });
    const first = x.grad!;
    expect(first.toArray()).toEqual([27, 12]);
    expect(first.requiresGrad).toBe(true);
    x.zeroGrad();
    first.sum().backward();
    expect(x.grad?.toArray()).toEqual([18, -12]);
  });

  it('keeps the graph when createGraph accumulates into an existing .grad', () => {
    const x = tensor([2], { requiresGrad: true });
    x.mul(x).mul(x).sum().backward({ createGraph: true }); // .grad = 3x²
    x.mul(x).sum().backward({ createGraph: true }); // .grad = 3x² + 2x
    const accumulated = x.grad!;
    expect(accumulated.toArray()).toEqual([16]);
    expect(accumulated.requiresGrad).toBe(true);
    x.zeroGrad();
    accumulated.sum().backward(); // d/dx (3x² + 2x) = 6x + 2
    expect(x.grad?.toArray()).toEqual([14]);
  });

  it('differentiates a gradient penalty ‖∇ₓf‖² with respect to the parameters', () => {
    // f = Σ tanh(x W), so ∇ₓf = (1 − tanh²(x W)) Wᵀ and P(W) = ‖∇ₓf‖². dP/dW is checked against
    // central finite differences of P computed independently in float64.
    const inputs = [[0.3, -0.7, 0.5], [1.1, 0.2, -0.4]];
    const start = [[0.4, -0.3], [0.8, 0.1], [-0.6, 0.5]];
    const penalty = (weights: number[][]): number => {
      let total = 0;
      for (const row of inputs) {
        const slopes = [0, 1].map((j) => 1 - Math.tanh(row.reduce((sum, value, i) => sum + value * weights[i][j], 0)) ** 2);
        for (let i = 0; i < 3; i++) total += (slopes[0] * weights[i][0] + slopes[1] * weights[i][1]) ** 2;
      }
      return total;
    };
    const x = tensor(inputs, { requiresGrad: true });
    const weight = tensor(start, { requiresGrad: true });
    x.matmul(weight).tanh().sum().backward({ createGraph: true });
    const inputGrad = x.grad!;
    expect(inputGrad.requiresGrad).toBe(true);
    weight.zeroGrad(); // drop d f / d W from the first pass
    inputGrad.square().sum().backward();
    const analytic = weight.grad!.toArray() as number[][];
    const eps = 1e-5;
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 2; j++) {
        const plus = start.map((row) => [...row]);
        const minus = start.map((row) => [...row]);
        plus[i][j] += eps;
        minus[i][j] -= eps;
        const numeric = (penalty(plus) - penalty(minus)) / (2 * eps);
        expect(analytic[i][j]).toBeCloseTo(numeric, 4);
      }
    }
  });

  it('leaves .grad detached without createGraph', () => {
    const x = tensor([3], { requiresGrad: true });
    x.mul(x).mul(x).sum().backward();
    x.mul(x).sum().backward();
    expect(x.grad?.toArray()).toEqual([33]);
    expect(x.grad?.requiresGrad).toBe(false);
    expect(x.grad?.gradNode).toBeNull();
  });

  it('gives zero (not NaN) gradients through a softmax row that is all -Infinity', () => {
    const x = tensor([[0, 1], [-Infinity, -Infinity]], { requiresGrad: true });
    x.softmax(-1).mul(tensor([[1, 2], [3, 4]])).sum().backward();
    const grad = x.grad!.toArray() as number[][];
    expect(grad[1]).toEqual([0, 0]);
    expect(grad.flat().every(Number.isFinite)).toBe(true);
  });
});
