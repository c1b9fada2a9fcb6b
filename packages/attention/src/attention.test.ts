import { AdditiveScore, GeneralScore, dotScore } from '@heed/scoring';
import { Generator, SGD, ShapeError, randn, tensor, type Tensor } from '@heed/tensor';
import { assertAllclose } from '@heed/tensor/testing';
import { describe, expect, it } from 'vitest';
import { expectGradients } from '../test/plain-attention.js';
import { Attention, attend, attention, crossAttention, scaledDotProductAttention, selfAttention, softWeights, sparsemaxWeights } from './index.js';

const generator = new Generator(41);
const r = (...shape: number[]): Tensor => randn(shape, { generator });

describe('attend', () => {
  it('combines any scores with any weighting', () => {
    const [query, key, value] = [r(2, 3, 4), r(2, 5, 4), r(2, 5, 3)];
    const scores = dotScore(query, key);
    const mask = tensor([[true, true, false, true, true]]);
    const sparse = attend(scores, value, { weighting: 'sparsemax', mask });
    assertAllclose(sparse.weights, sparsemaxWeights(scores, { mask }).dataSync(), { abs: 0, rel: 0 });
    assertAllclose(sparse.output, sparse.weights.matmul(value).dataSync(), { abs: 0, rel: 0 });
    const custom = attend(scores, value, { weighting: (x, options) => softWeights(x.mul(3), options) });
    assertAllclose(custom.weights, softWeights(scores.mul(3)).dataSync(), { abs: 1e-7, rel: 1e-6 });
    const sampled = attend(scores, value, { weighting: 'sample', generator: new Generator(1) });
    expect(sampled.logProbability?.shape).toEqual([2, 3]);
    expect(sampled.indices?.shape).toEqual([2, 3]);
  });

  it('passes a gradient check through scores and values', () => {
    expectGradients((scores, value) => attend(scores, value, { causal: true }).output, [r(2, 3, 4), r(2, 4, 2)]);
    expectGradients((scores, value) => attend(scores, value, { weighting: 'sparsemax' }).output, [tensor([[[0.9, 0.5, -1], [0.1, 0.3, 0.2]]]), r(1, 3, 2)]);
  });

  it('checks that scores and values agree on S', () => {
    expect(() => attend(r(2, 3, 4), r(2, 5, 2))).toThrow(/argument value: expected shape \[\.\.\., S = 4, Dv\], got \[2, 5, 2\]/);
    expect(() => attend(r(4), r(4, 2))).toThrow(ShapeError);
  });
});

describe('attention, selfAttention and crossAttention', () => {
  it('default to scaled dot-product attention', () => {
    const [x, context] = [r(2, 4, 6), r(2, 7, 6)];
    assertAllclose(selfAttention(x, { causal: true }).output, scaledDotProductAttention(x, x, x, { causal: true }).dataSync(), { abs: 1e-6, rel: 1e-6 });
    assertAllclose(crossAttention(x, context).output, scaledDotProductAttention(x, context, context).dataSync(), { abs: 1e-6, rel: 1e-6 });
  });

  it('accept score names, functions and modules', () => {
    const [query, key, value] = [r(1, 2, 3), r(1, 4, 5), r(1, 4, 2)];
    const general = new GeneralScore(3, 5);
    const viaModule = attention(query, key, value, { score: general }).weights;
    assertAllclose(viaModule, softWeights(general.forward(query, key)).dataSync(), { abs: 0, rel: 0 });
    expect(attention(query, query, query, { score: 'cosine' }).weights.shape).toEqual([1, 2, 2]);
    expect(() => attention(query, key, value, { score: 'dot' })).toThrow(/depths differ/);
  });
});

describe('Attention module', () => {
  it('trains its score parameters and follows train/eval for dropout', () => {
    const layer = new Attention({ score: new AdditiveScore(3, 4, { attentionDim: 5 }), dropout: 0.5, generator: new Generator(3) });
    expect(Object.keys(layer.stateDict())).toEqual(['score.queryWeight', 'score.keyWeight', 'score.v']);
    const [query, key] = [r(2, 1, 3), r(2, 6, 4)];
    const target = r(2, 1, 4);
    const optimizer = new SGD(layer.parameters(), { lr: 0.5 });
    layer.eval();
    const lossOf = () => layer.forward(query, key).output.sub(target).square().mean();
    const before = lossOf().item();
    for (let step = 0; step < 20; step++) {
      optimizer.zeroGrad();
      lossOf().backward();
      optimizer.step();
    }
    expect(lossOf().item()).toBeLessThan(before);
    layer.train();
    const weights = layer.forward(query, key).weights;
    expect(weights.dataSync().some((x) => x === 0)).toBe(true);
  });
});
