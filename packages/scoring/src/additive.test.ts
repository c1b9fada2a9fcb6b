import { Generator, ShapeError, randn, type Tensor } from '@heed/tensor';
import { assertAllclose } from '@heed/tensor/testing';
import { describe, expect, it } from 'vitest';
import { expectGradients, flat, plainScores, toCube } from '../test/plain-scores.js';
import { AdditiveScore, additiveScore } from './index.js';

const generator = new Generator(9);
const r = (...shape: number[]): Tensor => randn(shape, { generator });
const rows = (x: Tensor): number[][] => x.toArray() as number[][];

/** The same score composed the direct way, materialising [B, L, S, A]: the autograd baseline. */
function direct(query: Tensor, key: Tensor, queryWeight: Tensor, keyWeight: Tensor, v: Tensor): Tensor {
  const projectedQuery = query.matmul(queryWeight.transpose(0, 1)).unsqueeze(-2);
  const projectedKey = key.matmul(keyWeight.transpose(0, 1)).unsqueeze(-3);
  return projectedQuery.add(projectedKey).tanh().matmul(v);
}

describe('additiveScore', () => {
  it('matches vᵀ tanh(W_q q + W_k k + b)', () => {
    const [query, key, queryWeight, keyWeight, v, bias] = [r(2, 3, 4), r(2, 5, 6), r(7, 4), r(7, 6), r(7), r(7)];
    const want = plainScores('additive', toCube(query.dataSync(), query.shape), toCube(key.dataSync(), key.shape), {
      queryWeight: rows(queryWeight),
      keyWeight: rows(keyWeight),
      v: Array.from(v.dataSync()),
      bias: Array.from(bias.dataSync()),
    });
    assertAllclose(additiveScore(query, key, { queryWeight, keyWeight, v, bias }), flat(want), { abs: 1e-4, rel: 1e-4 });
  });

  it('gives the same values and gradients when the work is split into chunks', () => {
    // 1 × 70 queries × 60 keys × 64 hidden = 268,800 > one chunk of 2^18, so two chunks run.
    const leaves = [r(1, 70, 8), r(1, 60, 8), r(64, 8).mul(0.3), r(64, 8).mul(0.3), r(64)].map((x) => x.detach().requiresGrad_());
    const copies = leaves.map((x) => x.detach().requiresGrad_());
    const [query, key, queryWeight, keyWeight, v] = leaves;
    const chunked = additiveScore(query, key, { queryWeight, keyWeight, v });
    const baseline = direct(copies[0], copies[1], copies[2], copies[3], copies[4]);
    assertAllclose(chunked, baseline.dataSync(), { abs: 1e-4, rel: 1e-4 });
    const seed = r(1, 70, 60);
    chunked.mul(seed).sum().backward();
    baseline.mul(seed).sum().backward();
    leaves.forEach((leaf, index) => assertAllclose(leaf.grad!, copies[index].grad!.dataSync(), { abs: 1e-3, rel: 1e-3 }));
  });

  it('broadcasts leading dimensions', () => {
    const [queryWeight, keyWeight, v] = [r(3, 4), r(3, 4), r(3)];
    const query = r(2, 3, 5, 4);
    const key = r(2, 1, 6, 4);
    const scores = additiveScore(query, key, { queryWeight, keyWeight, v });
    expect(scores.shape).toEqual([2, 3, 5, 6]);
    assertAllclose(scores, direct(query, key.expand([2, 3, 6, 4]).contiguous(), queryWeight, keyWeight, v).dataSync(), { abs: 1e-5, rel: 1e-5 });
  });

  it('passes a finite-difference gradient check for every input', () => {
    expectGradients(
      (q, k, wq, wk, v, b) => additiveScore(q, k, { queryWeight: wq, keyWeight: wk, v, bias: b }),
      [r(2, 2, 3), r(2, 3, 2), r(4, 3), r(4, 2), r(4), r(4)],
    );
  });

  it('names the parameter whose shape is wrong', () => {
    const [query, key] = [r(1, 2, 3), r(1, 4, 5)];
    expect(() => additiveScore(query, key, { queryWeight: r(6, 3), keyWeight: r(6, 4), v: r(6) })).toThrow(/argument keyWeight: expected shape \[A, Dk\] = \[6, 5\]/);
    expect(() => additiveScore(query, key, { queryWeight: r(6, 3), keyWeight: r(6, 5), v: r(6, 1) })).toThrow(ShapeError);
    expect(() => additiveScore(query, key, { queryWeight: r(6, 3), keyWeight: r(6, 5), v: r(6), bias: r(5) })).toThrow(/argument bias/);
  });

  it('is a module with PyTorch-like initial weights', () => {
    const score = new AdditiveScore(4, 6, { attentionDim: 8, bias: true, generator: new Generator(2) });
    expect(Object.fromEntries(Object.entries(score.stateDict()).map(([name, value]) => [name, value.shape]))).toEqual({
      queryWeight: [8, 4],
      keyWeight: [8, 6],
      v: [8],
      bias: [8],
    });
    for (const value of score.queryWeight.dataSync()) expect(Math.abs(value)).toBeLessThanOrEqual(0.5);
    for (const value of score.v.dataSync()) expect(Math.abs(value)).toBeLessThanOrEqual(1 / Math.sqrt(8));
    score.forward(r(2, 3, 4), r(2, 5, 6)).sum().backward();
    for (const parameter of score.parameters()) expect(parameter.grad).not.toBeNull();
  });
});
