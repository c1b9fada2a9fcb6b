import { Generator, ValueError, randn, tensor, zeros, type Tensor } from '@heed/tensor';
import { assertAllclose } from '@heed/tensor/testing';
import { describe, expect, it } from 'vitest';
import { expectGradients, flat, plainScores, toCube } from '../test/plain-scores.js';
import { CosineScore, cosineScore } from './index.js';

const generator = new Generator(5);
const r = (...shape: number[]): Tensor => randn(shape, { generator });

describe('cosineScore', () => {
  it('matches the plain formula and lies in [-1, 1]', () => {
    const query = r(2, 3, 4).mul(5);
    const key = r(2, 4, 4);
    const scores = cosineScore(query, key);
    assertAllclose(scores, flat(plainScores('cosine', toCube(query.dataSync(), query.shape), toCube(key.dataSync(), key.shape))), { abs: 1e-5, rel: 1e-5 });
    for (const value of scores.dataSync()) expect(Math.abs(value)).toBeLessThanOrEqual(1 + 1e-6);
  });

  it('gives 1 for parallel and 0 for orthogonal vectors', () => {
    assertAllclose(cosineScore(tensor([[[1, 0]]]), tensor([[[2, 0], [0, 3]]])), [1, 0], { abs: 1e-6, rel: 0 });
  });

  it('scores a zero vector 0 with finite gradients', () => {
    const query = zeros([1, 1, 3]).requiresGrad_();
    const key = r(1, 2, 3).requiresGrad_();
    const scores = cosineScore(query, key);
    expect(Array.from(scores.dataSync())).toEqual([0, 0]);
    scores.sum().backward();
    for (const value of [...query.grad!.dataSync(), ...key.grad!.dataSync()]) expect(Number.isFinite(value)).toBe(true);
  });

  it('passes a finite-difference gradient check', () => {
    expectGradients((q, k) => cosineScore(q, k), [r(2, 2, 3), r(2, 3, 3)]);
  });

  it('rejects a non-positive eps and mismatched depths', () => {
    expect(() => cosineScore(r(1, 2, 3), r(1, 2, 3), { eps: 0 })).toThrow(ValueError);
    expect(() => new CosineScore().forward(r(1, 2, 3), r(1, 2, 4))).toThrow(/argument key/);
  });
});
