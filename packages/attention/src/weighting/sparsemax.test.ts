import { Generator, randn, tensor, type Tensor } from '@heed/tensor';
import { assertAllclose } from '@heed/tensor/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectFinite, expectGradients } from '../../test/plain-attention.js';
import { sparsemaxWeights } from '../index.js';

/** Sort-based sparsemax (Martins & Astudillo, Algorithm 1) over allowed entries, in float64. */
function plainSparsemax(row: number[], allowed: boolean[]): number[] {
  const values = row.filter((_, index) => allowed[index]).sort((a, b) => b - a);
  let cumulative = 0;
  let threshold = 0;
  values.forEach((value, index) => {
    cumulative += value;
    if (1 + (index + 1) * value > cumulative) threshold = (cumulative - 1) / (index + 1);
  });
  return row.map((value, index) => (allowed[index] && values.length > 0 ? Math.max(0, value - threshold) : 0));
}

const generator = new Generator(21);
const r = (...shape: number[]): Tensor => randn(shape, { generator });

describe('sparsemaxWeights', () => {
  it('gives the paper’s examples exactly', () => {
    expect(sparsemaxWeights(tensor([[2, 1, -1]])).toArray()).toEqual([[1, 0, 0]]);
    assertAllclose(sparsemaxWeights(tensor([[1, 0.8, 0]])), [0.6, 0.4, 0], { abs: 1e-6, rel: 0 });
    assertAllclose(sparsemaxWeights(tensor([[0, 0, 0, 0]])), [0.25, 0.25, 0.25, 0.25], { abs: 1e-6, rel: 0 });
  });

  it('matches the sort-based algorithm over random rows and masks, with exact zeros', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 9 }),
        fc.array(fc.float({ min: -3, max: 3, noNaN: true }), { minLength: 9, maxLength: 9 }),
        fc.array(fc.boolean(), { minLength: 9, maxLength: 9 }),
        (keys, values, allowed) => {
          const row = values.slice(0, keys);
          const keep = allowed.slice(0, keys);
          const weights = sparsemaxWeights(tensor([row]), { mask: tensor([keep]) });
          const want = plainSparsemax(row, keep);
          assertAllclose(weights, want, { abs: 2e-6, rel: 1e-5 });
          weights.dataSync().forEach((value, index) => {
            if (want[index] === 0 && !(keep[index] && Math.abs(row[index] - Math.max(...row)) < 1e-6)) expect(value).toBe(0);
          });
          const total = Array.from(weights.dataSync()).reduce((a, b) => a + b, 0);
          expect(total).toBeCloseTo(keep.some(Boolean) ? 1 : 0, 5);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('has sparsemax’s gradient (checked by finite differences away from kinks)', () => {
    const scores = tensor([[0.9, 0.5, -1, 0.1], [2, -0.4, 1.6, 1.7]]);
    expectGradients((x) => sparsemaxWeights(x), [scores], { eps: 1e-3 });
    expectGradients((x) => sparsemaxWeights(x, { mask: tensor([[true, false, true, true]]) }), [r(3, 4).mul(0.3)]);
  });

  it('gives zeros and zero gradients for a fully masked row', () => {
    const scores = r(2, 3).requiresGrad_();
    const weights = sparsemaxWeights(scores, { mask: tensor([[true, true, true], [false, false, false]]) });
    expect(Array.from(weights.dataSync().slice(3))).toEqual([0, 0, 0]);
    weights.mul(r(2, 3)).sum().backward();
    expectFinite(scores.grad!.dataSync());
    expect(Array.from(scores.grad!.dataSync().slice(3))).toEqual([0, 0, 0]);
  });
});
