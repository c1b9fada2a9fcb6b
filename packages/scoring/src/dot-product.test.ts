import { Generator, HeedError, ShapeError, randn, tensor, type Tensor } from '@heed/tensor';
import { assertAllclose } from '@heed/tensor/testing';
import { describe, expect, it } from 'vitest';
import { expectGradients, flat, plainScores, toCube } from '../test/plain-scores.js';
import { DotScore, ScaledDotScore, dotScore, scaledDotScore } from './index.js';

const generator = new Generator(3);
const r = (...shape: number[]): Tensor => randn(shape, { generator });

describe('dotScore and scaledDotScore', () => {
  it('match the plain formulas', () => {
    const query = r(2, 3, 4);
    const key = r(2, 5, 4);
    const [q, k] = [toCube(query.dataSync(), query.shape), toCube(key.dataSync(), key.shape)];
    assertAllclose(dotScore(query, key), flat(plainScores('dot', q, k)), { abs: 1e-5, rel: 1e-5 });
    assertAllclose(scaledDotScore(query, key), flat(plainScores('scaledDot', q, k)), { abs: 1e-5, rel: 1e-5 });
    expect(dotScore(query, key).shape).toEqual([2, 3, 5]);
  });

  it('uses a custom scale', () => {
    const query = r(1, 2, 3);
    const key = r(1, 4, 3);
    assertAllclose(scaledDotScore(query, key, { scale: 0.25 }), dotScore(query, key).mul(0.25).dataSync(), { abs: 1e-6, rel: 1e-6 });
  });

  it('broadcasts leading dimensions such as heads', () => {
    const query = r(2, 3, 4, 5);
    const key = r(2, 1, 6, 5);
    const scores = dotScore(query, key);
    expect(scores.shape).toEqual([2, 3, 4, 6]);
    const head = dotScore(query.slice(1, 2, 3).squeeze(1), key.squeeze(1));
    assertAllclose(scores.slice(1, 2, 3).squeeze(1), head.dataSync(), { abs: 1e-6, rel: 1e-6 });
  });

  it('passes finite-difference gradient checks', () => {
    expectGradients((q, k) => dotScore(q, k), [r(2, 3, 4), r(2, 2, 4)]);
    expectGradients((q, k) => scaledDotScore(q, k), [r(1, 3, 4), r(1, 5, 4)]);
  });

  it('rejects mismatched depths and ranks, naming the argument and both shapes', () => {
    expect(() => dotScore(r(2, 3, 4), r(2, 5, 6))).toThrow(ShapeError);
    expect(() => dotScore(r(2, 3, 4), r(2, 5, 6))).toThrow(/argument key: .*\[2, 5, 6\].*query is \[2, 3, 4\]/);
    expect(() => scaledDotScore(r(4), r(2, 4))).toThrow(/argument query/);
    expect(() => dotScore(r(2, 3, 4), r(3, 5, 4))).toThrow(/batch dimensions broadcastable/);
    expect(() => scaledDotScore(r(1, 2, 4), r(1, 2, 4), { scale: Number.NaN })).toThrow(HeedError);
  });

  it('works as modules', () => {
    const query = tensor([[[1, 2]]]);
    const key = tensor([[[3, 4], [5, 6]]]);
    expect(new DotScore().forward(query, key).toArray()).toEqual([[[11, 17]]]);
    assertAllclose(new ScaledDotScore().forward(query, key), [11 / Math.SQRT2, 17 / Math.SQRT2], { abs: 1e-5, rel: 1e-5 });
    expect(new DotScore().parameters()).toHaveLength(0);
  });
});
