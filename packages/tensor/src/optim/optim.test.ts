import { describe, expect, it } from 'vitest';
import { Adam, AdamW, Linear, SGD, ValueError, clipGradNorm, crossEntropy, Generator, randn, tensor, zeros } from '../index.js';

describe('optimizers', () => {
  it('train a linear classifier to fit a separable problem', () => {
    const generator = new Generator(5);
    const x = randn([64, 4], { generator });
    const labels = Int32Array.from(x.dataSync().filter((_, index) => index % 4 === 0), (value) => (value > 0 ? 1 : 0));
    const target = tensor(labels, { dtype: 'int32' });
    for (const make of [(p: ReturnType<Linear['parameters']>) => new SGD(p, { lr: 0.5, momentum: 0.9 }), (p: ReturnType<Linear['parameters']>) => new Adam(p, { lr: 0.1 }), (p: ReturnType<Linear['parameters']>) => new AdamW(p, { lr: 0.1 })]) {
      const model = new Linear(4, 2, { generator: new Generator(1) });
      const optimizer = make(model.parameters());
      let first = 0;
      let last = 0;
      for (let step = 0; step < 60; step++) {
        optimizer.zeroGrad();
        const loss = crossEntropy(model.forward(x), target);
        loss.backward();
        optimizer.step();
        if (step === 0) first = loss.item();
        last = loss.item();
      }
      expect(last).toBeLessThan(first / 3);
    }
  });

  it('skips parameters without gradients and validates options', () => {
    const parameter = zeros([2]).requiresGrad_();
    const optimizer = new SGD([parameter], { lr: 0.1 });
    optimizer.step();
    expect(parameter.toArray()).toEqual([0, 0]);
    expect(() => new SGD([parameter], { lr: -1 })).toThrow(ValueError);
    expect(() => new SGD([parameter], { lr: 0.1, nesterov: true })).toThrow(/momentum/);
    expect(() => new Adam([parameter], { betas: [1, 0.9] })).toThrow(ValueError);
    expect(() => new Adam([zeros([2])])).toThrow(/require grad/);
  });

  it('clips the global gradient norm', () => {
    const a = zeros([2]).requiresGrad_();
    const b = zeros([1]).requiresGrad_();
    a.grad = tensor([3, 0]);
    b.grad = tensor([4]);
    expect(clipGradNorm([a, b], 1).item()).toBeCloseTo(5, 6);
    expect((a.grad.toArray() as number[])[0]).toBeCloseTo(0.6, 5);
    expect((b.grad.toArray() as number[])[0]).toBeCloseTo(0.8, 5);
    expect(() => clipGradNorm([a], 0)).toThrow(ValueError);
  });
});
