import { Generator, randn, tensor, type Tensor } from '@heed/tensor';
import { assertAllclose } from '@heed/tensor/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectFinite, expectGradients } from '../../test/plain-attention.js';
import { MultiHeadAttention, attend, entmax15Weights, resolveWeighting, sparsemaxWeights } from '../index.js';

/**
 * Peters et al. (2019) Algorithm 2, as the `entmax` package's `entmax15`, in float64: sort the
 * allowed entries of z/2, try every support size k with the closed-form τ_k, keep the largest
 * k with τ_k ≤ the k-th entry.
 */
function sortedEntmax15(row: number[], allowed: boolean[]): number[] {
  const values = row.filter((_, index) => allowed[index]).map((value) => value / 2).sort((a, b) => b - a);
  if (values.length === 0) return row.map(() => 0);
  let sum = 0;
  let squares = 0;
  let threshold = 0;
  values.forEach((value, index) => {
    const k = index + 1;
    sum += value;
    squares += value * value;
    const mean = sum / k;
    const delta = (1 - k * (squares / k - mean * mean)) / k;
    const tau = mean - Math.sqrt(Math.max(delta, 0));
    if (tau <= value) threshold = tau;
  });
  return row.map((value, index) => (allowed[index] ? Math.max(value / 2 - threshold, 0) ** 2 : 0));
}

/** An independent oracle: bisection on τ for Σ max(z/2 - τ, 0)² = 1, in float64, 200 halvings. */
function bisectedEntmax15(row: number[]): number[] {
  const x = row.map((value) => value / 2);
  const mass = (tau: number) => x.reduce((total, value) => total + Math.max(value - tau, 0) ** 2, 0);
  let low = Math.max(...x) - 1;
  let high = Math.max(...x);
  for (let step = 0; step < 200; step++) {
    const middle = (low + high) / 2;
    if (mass(middle) >= 1) low = middle;
    else high = middle;
  }
  return x.map((value) => Math.max(value - low, 0) ** 2);
}

const generator = new Generator(15);
const r = (...shape: number[]): Tensor => randn(shape, { generator });
const rowSums = (weights: Tensor): number[] => Array.from(weights.sum(-1).dataSync());

describe('entmax15Weights', () => {
  it('gives the known values: ties split evenly, a large gap is one-hot, the closed form on a two-key support', () => {
    assertAllclose(entmax15Weights(tensor([[0, 0]])), [0.5, 0.5], { abs: 1e-7, rel: 0 });
    expect(entmax15Weights(tensor([[5, 0, -1]])).toArray()).toEqual([[1, 0, 0]]);
    // [3, 2, 0, -2]: z/2 - 3/2 = [0, -0.5, -1.5, -2.5]; support {0, 1}: τ = -0.25 - √((1 - 0.125) / 2).
    const tau = -0.25 - Math.sqrt(0.4375);
    const weights = entmax15Weights(tensor([[3, 2, 0, -2]]));
    assertAllclose(weights, [tau ** 2, (-0.5 - tau) ** 2, 0, 0], { abs: 1e-6, rel: 0 });
    expect(Array.from(weights.dataSync().slice(2))).toEqual([0, 0]);
    assertAllclose(entmax15Weights(tensor([[1, 1, 1, 1]])), [0.25, 0.25, 0.25, 0.25], { abs: 1e-6, rel: 0 });
  });

  it('matches the sort-based algorithm over random rows and masks, with exact zeros, rows summing to 1', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 9 }),
        fc.array(fc.float({ min: -4, max: 4, noNaN: true }), { minLength: 9, maxLength: 9 }),
        fc.array(fc.boolean(), { minLength: 9, maxLength: 9 }),
        (keys, values, allowed) => {
          const row = values.slice(0, keys);
          const keep = allowed.slice(0, keys);
          const weights = entmax15Weights(tensor([row]), { mask: tensor([keep]) });
          const want = sortedEntmax15(row, keep);
          assertAllclose(weights, want, { abs: 2e-6, rel: 1e-5 });
          weights.dataSync().forEach((value, index) => {
            if (!keep[index]) expect(value).toBe(0);
            if (want[index] === 0 && want.some((other, j) => other > 0 && Math.abs(row[j] - row[index]) < 1e-3) === false) expect(value).toBe(0);
          });
          expect(rowSums(weights)[0]).toBeCloseTo(keep.some(Boolean) ? 1 : 0, 5);
        },
      ),
      { numRuns: 80 },
    );
  });

  it('agrees with an independent bisection oracle on wide random rows and large scores', () => {
    const scores = r(4, 33).mul(3);
    const rows = scores.toArray() as number[][];
    assertAllclose(entmax15Weights(scores), rows.flatMap(bisectedEntmax15), { abs: 2e-6, rel: 1e-5 });
    const large = r(3, 16).mul(1e4);
    const weights = entmax15Weights(large);
    expectFinite(weights.dataSync());
    for (const total of rowSums(weights)) expect(total).toBeCloseTo(1, 5);
    assertAllclose(weights, (large.toArray() as number[][]).flatMap(bisectedEntmax15), { abs: 1e-5, rel: 1e-4 });
  });

  it('is sparse for peaked scores, dense for flat ones, and keeps at least as many keys as sparsemax', () => {
    const peaked = Array.from(entmax15Weights(tensor([[4, 3.2, 1, 0, -1, -3]])).dataSync());
    expect(peaked.filter((value) => value > 0).length).toBe(2);
    const flat = Array.from(entmax15Weights(tensor([[0.3, 0.2, 0.1, 0, -0.1, -0.2]])).dataSync());
    expect(flat.every((value) => value > 0)).toBe(true);
    const scores = r(6, 12).mul(2);
    const kept = (weights: Tensor) => (weights.gt(0).float().sum(-1).toArray() as number[]);
    const entmax = kept(entmax15Weights(scores));
    const sparsemax = kept(sparsemaxWeights(scores));
    entmax.forEach((count, row) => expect(count).toBeGreaterThanOrEqual(sparsemax[row]));
    expect(entmax.some((count) => count < 12)).toBe(true);
  });

  it('has the paper’s closed-form gradient (checked by finite differences away from the support’s edges)', () => {
    expectGradients((x) => entmax15Weights(x), [tensor([[0.9, 0.5, -1, 0.1], [2, -0.4, 1.6, 1.7], [0, 0, 0, 0]])], { eps: 1e-3 });
    expectGradients((x) => entmax15Weights(x, { mask: tensor([[true, false, true, true]]) }), [r(3, 4).mul(0.5)]);
    expectGradients((x) => entmax15Weights(x.mul(2)), [r(2, 3, 5)]);
  });

  it('gives zeros and zero gradients for a fully masked row, and leaves the scores alone', () => {
    const scores = r(2, 3).requiresGrad_();
    const before = Array.from(scores.dataSync());
    const weights = entmax15Weights(scores, { mask: tensor([[true, false, true], [false, false, false]]) });
    expect(Array.from(weights.dataSync().slice(3))).toEqual([0, 0, 0]);
    expect(weights.dataSync()[1]).toBe(0);
    weights.mul(r(2, 3)).sum().backward();
    expectFinite(scores.grad!.dataSync());
    expect(Array.from(scores.grad!.dataSync().slice(3))).toEqual([0, 0, 0]);
    expect(scores.grad!.dataSync()[1]).toBe(0);
    expect(Array.from(scores.dataSync())).toEqual(before);
  });

  it("works by name wherever a weighting does: resolveWeighting, attend, MultiHeadAttention", () => {
    const scores = r(2, 3, 5);
    const value = r(2, 5, 4);
    const mask = tensor([[true, true, false, true, true]]);
    const direct = entmax15Weights(scores, { mask });
    assertAllclose(resolveWeighting('entmax15')(scores, { mask }) as Tensor, direct.dataSync(), { abs: 0, rel: 0 });
    assertAllclose(resolveWeighting({ kind: 'entmax15' })(scores, { mask }) as Tensor, direct.dataSync(), { abs: 0, rel: 0 });
    const attended = attend(scores, value, { weighting: 'entmax15', mask });
    assertAllclose(attended.weights, direct.dataSync(), { abs: 0, rel: 0 });
    assertAllclose(attended.output, direct.matmul(value).dataSync(), { abs: 1e-6, rel: 1e-6 });
    const layer = new MultiHeadAttention(8, 2, { weighting: 'entmax15', generator: new Generator(3) });
    const x = r(2, 4, 8);
    const { weights } = layer.forward(x, x, x, { averageAttnWeights: false });
    for (const total of rowSums(weights!)) expect(total).toBeCloseTo(1, 5);
    expect(Array.from(weights!.dataSync()).some((value) => value === 0)).toBe(true);
  });
});
