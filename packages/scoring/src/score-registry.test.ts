import { Generator, ValueError, randn, type Tensor } from '@heed/tensor';
import { assertAllclose } from '@heed/tensor/testing';
import { describe, expect, it } from 'vitest';
import {
  AdditiveScore,
  GeneralScore,
  ScoreModule,
  createScore,
  dotScore,
  getScoreFunction,
  resolveScore,
  scaledDotScore,
  scoreNames,
  type ScoreFunction,
} from './index.js';

const generator = new Generator(13);
const r = (...shape: number[]): Tensor => randn(shape, { generator });

describe('score lookup', () => {
  it('finds the parameter-free scores by name', () => {
    const [query, key] = [r(1, 2, 4), r(1, 3, 4)];
    assertAllclose(getScoreFunction('scaledDot')(query, key), scaledDotScore(query, key).dataSync(), { abs: 0, rel: 0 });
    expect(getScoreFunction('dot')(query, key).shape).toEqual([1, 2, 3]);
    expect(getScoreFunction('cosine')(query, key).shape).toEqual([1, 2, 3]);
  });

  it('asks for createScore when a score has parameters, and rejects unknown names', () => {
    expect(() => getScoreFunction('general')).toThrow(/createScore\('general'/);
    expect(() => getScoreFunction('nope' as 'dot')).toThrow(ValueError);
    expect(() => createScore('additive')).toThrow(/queryDim/);
  });

  it('creates every named score as a module producing [B, L, S]', () => {
    for (const name of scoreNames) {
      const score = createScore(name, { queryDim: 4, keyDim: 4, generator });
      expect(score).toBeInstanceOf(ScoreModule);
      expect(score.forward(r(2, 3, 4), r(2, 5, 4)).shape).toEqual([2, 3, 5]);
    }
    expect(createScore('concat', { queryDim: 3, keyDim: 5, attentionDim: 7 })).toBeInstanceOf(AdditiveScore);
    expect(createScore('bilinear', { queryDim: 3 })).toBeInstanceOf(GeneralScore);
  });

  it('resolves names, user functions and modules to functions', () => {
    const [query, key] = [r(2, 3, 4), r(2, 5, 4)];
    const negativeDistance: ScoreFunction = (q, k) => q.unsqueeze(-2).sub(k.unsqueeze(-3)).square().sum(-1).neg();
    expect(resolveScore(negativeDistance)).toBe(negativeDistance);
    const module = new GeneralScore(4);
    assertAllclose(resolveScore(module)(query, key), module.forward(query, key).dataSync(), { abs: 0, rel: 0 });
    assertAllclose(resolveScore('dot')(query, key), dotScore(query, key).dataSync(), { abs: 0, rel: 0 });
  });
});
