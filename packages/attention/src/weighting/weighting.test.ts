import { Generator, ValueError, randn, tensor, type Tensor } from '@heed/tensor';
import { assertAllclose } from '@heed/tensor/testing';
import { describe, expect, it } from 'vitest';
import { expectFinite, expectGradients } from '../../test/plain-attention.js';
import { gumbelSoftmaxWeights, hardWeights, resolveWeighting, sampleWeights, softWeights, straightThrough } from '../index.js';

const generator = new Generator(17);
const r = (...shape: number[]): Tensor => randn(shape, { generator });
const halfMasked = tensor([[true, false, true, true], [false, false, false, false]]);

describe('softWeights', () => {
  it('is a softmax over the allowed keys; a fully masked row is zero', () => {
    const weights = softWeights(tensor([[1, 2, 3, 4], [1, 1, 1, 1]]), { mask: halfMasked });
    const e = [Math.E, Math.E ** 3, Math.E ** 4];
    const total = e[0] + e[1] + e[2];
    assertAllclose(weights, [e[0] / total, 0, e[1] / total, e[2] / total, 0, 0, 0, 0], { abs: 1e-6, rel: 1e-5 });
  });

  it('adds an additive mask and treats -Infinity as masked', () => {
    const weights = softWeights(tensor([[0, 0, 0]]), { mask: tensor([[Math.log(3), 0, -Infinity]]) });
    assertAllclose(weights, [0.75, 0.25, 0], { abs: 1e-6, rel: 1e-5 });
  });

  it('passes a gradient check and gives zero gradients on masked rows, never NaN', () => {
    expectGradients((x) => softWeights(x, { mask: halfMasked }), [r(2, 4)]);
    const scores = r(2, 4).requiresGrad_();
    softWeights(scores, { mask: halfMasked }).mul(r(2, 4)).sum().backward();
    expectFinite(scores.grad!.dataSync());
    expect(Array.from(scores.grad!.dataSync().slice(4))).toEqual([0, 0, 0, 0]);
  });
});

describe('hardWeights', () => {
  it('is one-hot on the best allowed key, ties to the lowest index', () => {
    expect(hardWeights(tensor([[1, 3, 3, 2]])).toArray()).toEqual([[0, 1, 0, 0]]);
    expect(hardWeights(tensor([[1, 9, 3, 2], [5, 5, 5, 5]]), { mask: halfMasked }).toArray()).toEqual([
      [0, 0, 1, 0],
      [0, 0, 0, 0],
    ]);
  });

  it('has no gradient by itself and the softmax’s gradient with straightThrough', () => {
    const scores = r(2, 4).requiresGrad_();
    const seed = r(2, 4);
    const weights = hardWeights(scores, { mask: halfMasked, straightThrough: true });
    expect(weights.toArray()).toEqual(hardWeights(scores.detach(), { mask: halfMasked }).toArray());
    weights.mul(seed).sum().backward();
    const copy = scores.detach().requiresGrad_();
    softWeights(copy, { mask: halfMasked }).mul(seed).sum().backward();
    assertAllclose(scores.grad!, copy.grad!.dataSync(), { abs: 1e-6, rel: 1e-6 });
    expect(hardWeights(r(2, 3).requiresGrad_()).requiresGrad).toBe(false);
  });

  it('straightThrough returns the hard values exactly', () => {
    const soft = r(3).requiresGrad_();
    expect(straightThrough(tensor([0, 1, 0]), soft).toArray()).toEqual([0, 1, 0]);
  });
});

describe('sampleWeights', () => {
  it('samples keys with softmax probabilities and never a masked key', () => {
    const scores = tensor([[0, Math.log(2), Math.log(3), 5]]);
    const mask = tensor([[true, true, true, false]]);
    const counts = [0, 0, 0, 0];
    const seeded = new Generator(1);
    const rows = 3000;
    const { indices, weights } = sampleWeights(scores.expand([rows, 4]), { mask, generator: seeded });
    for (const index of indices.dataSync()) counts[index]++;
    expect(counts[3]).toBe(0);
    counts.slice(0, 3).forEach((count, index) => expect(count / rows).toBeCloseTo((index + 1) / 6, 1));
    expect(weights.sum(-1).dataSync().every((value) => value === 1)).toBe(true);
  });

  it('is reproducible with a seeded generator', () => {
    const scores = r(4, 6);
    const first = sampleWeights(scores, { generator: new Generator(5) }).indices.toArray();
    expect(sampleWeights(scores, { generator: new Generator(5) }).indices.toArray()).toEqual(first);
  });

  it('returns log p(index) with its gradient for REINFORCE; -1 and 0 on fully masked rows', () => {
    const scores = r(2, 4).requiresGrad_();
    const { indices, logProbability } = sampleWeights(scores, { mask: halfMasked, generator: new Generator(3), temperature: 2 });
    const chosen = indices.dataSync()[0];
    expect(indices.dataSync()[1]).toBe(-1);
    expect(logProbability.dataSync()[1]).toBe(0);
    const row = Array.from(scores.dataSync().slice(0, 4)).map((value) => value / 2);
    const allowed = [0, 2, 3];
    const logTotal = Math.log(allowed.reduce((total, index) => total + Math.exp(row[index]), 0));
    expect(logProbability.dataSync()[0]).toBeCloseTo(row[chosen] - logTotal, 5);
    logProbability.sum().backward();
    const grad = scores.grad!.dataSync();
    allowed.forEach((index) => {
      const probability = Math.exp(row[index] - logTotal);
      expect(grad[index]).toBeCloseTo(((index === chosen ? 1 : 0) - probability) / 2, 5);
    });
    expect(grad[1]).toBe(0);
    expect(Array.from(grad.slice(4))).toEqual([0, 0, 0, 0]);
  });

  it('picks the most likely key when greedy', () => {
    expect(sampleWeights(tensor([[0, 2, 1]]), { greedy: true }).indices.toArray()).toEqual([1]);
    expect(() => sampleWeights(r(1, 2), { temperature: 0 })).toThrow(ValueError);
  });
});

describe('gumbelSoftmaxWeights', () => {
  it('gives rows on the simplex that avoid masked keys; hard gives one-hot rows', () => {
    const soft = gumbelSoftmaxWeights(r(2, 4), { mask: halfMasked, generator: new Generator(2), temperature: 0.5 });
    assertAllclose(soft.sum(-1), [1, 0], { abs: 1e-5, rel: 0 });
    expect(soft.dataSync()[1]).toBe(0);
    const hard = gumbelSoftmaxWeights(r(3, 5), { hard: true, generator: new Generator(2) });
    for (const row of hard.toArray() as number[][]) expect(row.filter((value) => value === 1)).toHaveLength(1);
  });

  it('passes a gradient check with fixed noise, and hard mode passes the soft gradient', () => {
    expectGradients((x) => gumbelSoftmaxWeights(x, { generator: new Generator(4), temperature: 0.7 }), [r(2, 3)]);
    const scores = r(2, 4).requiresGrad_();
    gumbelSoftmaxWeights(scores, { hard: true, generator: new Generator(4) }).mul(r(2, 4)).sum().backward();
    expectFinite(scores.grad!.dataSync());
    expect(scores.grad!.abs().sum().item()).toBeGreaterThan(0);
  });

  it('is deterministic without noise', () => {
    const scores = r(2, 4);
    assertAllclose(gumbelSoftmaxWeights(scores, { noise: false, temperature: 0.5 }), softWeights(scores.div(0.5)).dataSync(), { abs: 1e-6, rel: 1e-6 });
  });
});

describe('resolveWeighting', () => {
  it('resolves names, settings and functions', () => {
    const scores = r(2, 4);
    assertAllclose(resolveWeighting('soft')(scores, {}) as Tensor, softWeights(scores).dataSync(), { abs: 0, rel: 0 });
    const custom = (x: Tensor) => softWeights(x.mul(2));
    expect(resolveWeighting(custom)).toBe(custom);
    const sampled = resolveWeighting({ kind: 'sample', generator: new Generator(1) })(scores, {});
    expect('logProbability' in sampled).toBe(true);
    const greedy = resolveWeighting('sample')(scores, { training: false });
    expect((greedy as { weights: Tensor }).weights.toArray()).toEqual(hardWeights(scores).toArray());
    const evaluation = resolveWeighting({ kind: 'gumbel', hard: true })(scores, { training: false }) as Tensor;
    expect(evaluation.toArray()).toEqual(hardWeights(scores).toArray());
    expect(() => resolveWeighting({ kind: 'gumbel', temperature: -1 })).toThrow(ValueError);
    expect(() => resolveWeighting('nope' as 'soft')).toThrow(/unknown weighting/);
  });
});
