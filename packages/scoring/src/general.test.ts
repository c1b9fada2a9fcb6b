import { Generator, ShapeError, ValueError, randn, type Tensor } from '@heed/tensor';
import { assertAllclose } from '@heed/tensor/testing';
import { describe, expect, it } from 'vitest';
import { expectGradients, flat, plainScores, toCube } from '../test/plain-scores.js';
import { GeneralScore, generalScore } from './index.js';

const generator = new Generator(7);
const r = (...shape: number[]): Tensor => randn(shape, { generator });
const rows = (x: Tensor): number[][] => x.toArray() as number[][];

describe('generalScore', () => {
  it('matches q W kᵀ for both multiplication orders', () => {
    for (const [queries, keys] of [[2, 9], [9, 2]]) {
      const query = r(2, queries, 3);
      const key = r(2, keys, 5);
      const weight = r(3, 5);
      const want = plainScores('general', toCube(query.dataSync(), query.shape), toCube(key.dataSync(), key.shape), { weight: rows(weight) });
      assertAllclose(generalScore(query, key, weight), flat(want), { abs: 1e-4, rel: 1e-4 });
    }
  });

  it('passes a finite-difference gradient check (query, key and weight)', () => {
    expectGradients((q, k, w) => generalScore(q, k, w), [r(2, 3, 2), r(2, 4, 3), r(2, 3)]);
  });

  it('checks the weight shape', () => {
    expect(() => generalScore(r(1, 2, 3), r(1, 2, 4), r(4, 3))).toThrow(ShapeError);
    expect(() => generalScore(r(1, 2, 3), r(1, 2, 4), r(4, 3))).toThrow(/argument weight: expected shape \[Dq, Dk\] = \[3, 4\], got \[4, 3\]/);
  });

  it('initialises its module like nn.Linear(Dk, Dq, bias=False) and trains', () => {
    const score = new GeneralScore(6, 16, { generator: new Generator(1) });
    expect(score.weight.shape).toEqual([6, 16]);
    expect(Object.keys(score.stateDict())).toEqual(['weight']);
    const bound = 1 / Math.sqrt(16);
    for (const value of score.weight.dataSync()) expect(Math.abs(value)).toBeLessThanOrEqual(bound);
    score.forward(r(2, 3, 6), r(2, 4, 16)).sum().backward();
    expect(score.weight.grad?.shape).toEqual([6, 16]);
    expect(() => new GeneralScore(0)).toThrow(ValueError);
  });
});
