import { Generator, ShapeError, ValueError, randn, tensor, type Tensor } from '@heed/tensor';
import { dotScore, generalScore, type GeneralScore } from '@heed/scoring';
import { assertAllclose } from '@heed/tensor/testing';
import { describe, expect, it } from 'vitest';
import { expectFinite, expectGradients } from '../test/plain-attention.js';
import { LocalPAttention, localAttentionWeights } from './index.js';

/** Luong et al.'s local weights with plain loops in float64: windowed softmax times the Gaussian. */
function plainLocal(scores: number[][], position: number[], window: number, options: { gaussian?: boolean; sigma?: number; allowed?: boolean[][] } = {}): number[] {
  const { gaussian = true, sigma = window / 2, allowed } = options;
  return scores.flatMap((row, i) => {
    const inside = row.map((_, j) => Math.abs(j - position[i]) <= window && (allowed?.[i][j] ?? true));
    const top = Math.max(...row.filter((_, j) => inside[j]));
    const exps = row.map((value, j) => (inside[j] ? Math.exp(value - top) : 0));
    const total = exps.reduce((a, b) => a + b, 0);
    return exps.map((value, j) => (total > 0 ? value / total : 0) * (gaussian ? Math.exp(-((j - position[i]) ** 2) / (2 * sigma * sigma)) : 1));
  });
}

const generator = new Generator(2015);
const r = (...shape: number[]): Tensor => randn(shape, { generator });
const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

describe('localAttentionWeights', () => {
  it('is the windowed softmax times the Gaussian, zero outside the window, not renormalised', () => {
    const scores = r(4, 9);
    const position = tensor([0, 2.5, 4.2, 8.9]);
    const weights = localAttentionWeights(scores, position, { window: 2 });
    assertAllclose(weights, plainLocal(scores.toArray() as number[][], [0, 2.5, 4.2, 8.9], 2), { abs: 1e-6, rel: 1e-5 });
    const rows = weights.toArray() as number[][];
    rows.forEach((row, i) => row.forEach((value, j) => {
      if (Math.abs(j - [0, 2.5, 4.2, 8.9][i]) > 2) expect(value).toBe(0);
    }));
    for (const total of Array.from(weights.sum(-1).dataSync())) expect(total).toBeLessThan(1);
    const plain = localAttentionWeights(scores, position, { window: 2, gaussian: false });
    for (const total of Array.from(plain.sum(-1).dataSync())) expect(total).toBeCloseTo(1, 6);
    assertAllclose(localAttentionWeights(scores, position, { window: 3, sigma: 0.7 }), plainLocal(scores.toArray() as number[][], [0, 2.5, 4.2, 8.9], 3, { sigma: 0.7 }), { abs: 1e-6, rel: 1e-5 });
    assertAllclose(plain, plainLocal(scores.toArray() as number[][], [0, 2.5, 4.2, 8.9], 2, { gaussian: false }), { abs: 1e-6, rel: 1e-5 });
  });

  it('honours masks and batch dims; a window with no allowed key gives zeros', () => {
    const scores = r(2, 3, 6);
    const position = tensor([[1, 4, 20], [0.2, 5, 2]]);
    const keep = tensor([[true, true, true, false, true, true], [false, false, true, true, true, true]]).reshape([2, 1, 6]);
    const weights = localAttentionWeights(scores, position, { window: 1.5, mask: keep });
    const nested = scores.toArray() as number[][][];
    const allowed = keep.toArray() as boolean[][][];
    const want = nested.flatMap((rows, b) => plainLocal(rows, (position.toArray() as number[][])[b], 1.5, { allowed: rows.map(() => allowed[b][0]) }));
    assertAllclose(weights, want, { abs: 1e-6, rel: 1e-5 });
    const values = weights.toArray() as number[][][];
    expect(values[0][2]).toEqual([0, 0, 0, 0, 0, 0]); // p = 20: the window misses every key
    expect(values[1][0]).toEqual([0, 0, 0, 0, 0, 0]); // p = 0.2: the window holds keys 0 and 1, both masked
  });

  it('passes gradients to the scores and through the Gaussian to the position', () => {
    // Positions keep every key at least 0.2 from a window edge, so finite differences stay on one side.
    expectGradients((scores, position) => localAttentionWeights(scores, position, { window: 1 }), [r(2, 5), tensor([1.3, 2.6])]);
    expectGradients((scores, position) => localAttentionWeights(scores, position, { window: 6 }), [r(2, 3, 5), r(2, 3).add(2)]);
    const position = tensor([1.3, 2.6]).requiresGrad_();
    localAttentionWeights(r(2, 5).requiresGrad_(), position, { window: 1, gaussian: false }).mul(r(2, 5)).sum().backward();
    expect(Array.from(position.grad?.dataSync() ?? [0, 0])).toEqual([0, 0]); // the hard edges pass nothing
  });

  it('has finite zero gradients for rows with nothing to attend', () => {
    const scores = r(2, 4).requiresGrad_();
    const position = tensor([1, 2]).requiresGrad_();
    const weights = localAttentionWeights(scores, position, { window: 2, mask: tensor([[true, true, true, true], [false, false, false, false]]) });
    expect(Array.from(weights.dataSync().slice(4))).toEqual([0, 0, 0, 0]);
    weights.mul(r(2, 4)).sum().backward();
    expectFinite(scores.grad!.dataSync());
    expectFinite(position.grad!.dataSync());
    expect(Array.from(scores.grad!.dataSync().slice(4))).toEqual([0, 0, 0, 0]);
    expect(position.grad!.dataSync()[1]).toBe(0);
  });

  it('rejects bad input, naming the argument', () => {
    expect(() => localAttentionWeights(r(2, 4), tensor([1, 2]), { window: 0 })).toThrow(ValueError);
    expect(() => localAttentionWeights(r(2, 4), tensor([1, 2]), { window: 2, sigma: -1 })).toThrow(/sigma/);
    expect(() => localAttentionWeights(r(2, 4), tensor([1, 2, 3]), { window: 2 })).toThrow(ShapeError);
    expect(() => localAttentionWeights(r(4), tensor([1]), { window: 2 })).toThrow(/scores/);
  });
});

describe('LocalPAttention', () => {
  it('predicts p_t = (S − 1) · sigmoid(v_pᵀ tanh(W_p h_t)) and attends around it with the general score', () => {
    const layer = new LocalPAttention(4, { window: 2, keyDim: 3, positionDim: 5, generator: new Generator(4) });
    const query = r(2, 3, 4);
    const key = r(2, 7, 3);
    const value = r(2, 7, 2);
    const { output, weights, position } = layer.forward(query, key, value);
    expect([output.shape, weights.shape, position.shape]).toEqual([[2, 3, 2], [2, 3, 7], [2, 3]]);
    const wp = layer.positionWeight!.toArray() as number[][];
    const vp = layer.positionVector!.toArray() as number[];
    const h = query.toArray() as number[][][];
    const want = h.map((rows) => rows.map((state) => 6 * sigmoid(wp.reduce((total, row, a) => total + vp[a] * Math.tanh(row.reduce((sum, w, d) => sum + w * state[d], 0)), 0))));
    assertAllclose(position, want.flat(), { abs: 1e-5, rel: 1e-5 });
    const scores = generalScore(query, key, (layer.score as GeneralScore).weight);
    assertAllclose(weights, localAttentionWeights(scores, position, { window: 2 }).dataSync(), { abs: 0, rel: 0 });
    assertAllclose(output, weights.matmul(value).dataSync(), { abs: 1e-6, rel: 1e-6 });
    expect(layer.parameters().length).toBe(3);
  });

  it('learns the position: gradients reach W_p and v_p, and match finite differences through p_t', () => {
    const layer = new LocalPAttention(3, { window: 8, generator: new Generator(9) }); // the window covers every key: smooth in p_t
    const key = r(1, 6, 3);
    const query = r(1, 2, 3);
    expectGradients((q) => layer.forward(q, key).output, [query]);
    layer.forward(query, key).output.sum().backward();
    for (const parameter of [layer.positionWeight!, layer.positionVector!]) {
      expectFinite(parameter.grad!.dataSync());
      expect(Array.from(parameter.grad!.dataSync()).some((value) => value !== 0)).toBe(true);
    }
  });

  it('local-m: p_t = offset + t, a plain windowed softmax, decodable one step at a time', () => {
    const layer = new LocalPAttention(3, { mode: 'monotonic', window: 1, score: 'dot' });
    const query = r(2, 4, 3);
    const key = r(2, 6, 3);
    const { weights, position } = layer.forward(query, key);
    expect(position.toArray()).toEqual([[0, 1, 2, 3], [0, 1, 2, 3]]);
    assertAllclose(weights, localAttentionWeights(dotScore(query, key), position, { window: 1, gaussian: false }).dataSync(), { abs: 0, rel: 0 });
    for (const total of Array.from(weights.sum(-1).dataSync())) expect(total).toBeCloseTo(1, 6);
    const step = layer.forward(query.slice(1, 2, 3), key, key, { offset: 2 });
    assertAllclose(step.weights, weights.slice(1, 2, 3).dataSync(), { abs: 1e-7, rel: 0 });
    expect(layer.parameters().length).toBe(0);
  });

  it('keyLengths mask the padding and scale p_t by each source length', () => {
    const layer = new LocalPAttention(4, { window: 1, generator: new Generator(5) });
    const query = r(2, 5, 4).mul(3);
    const key = r(2, 6, 4);
    const { weights, position } = layer.forward(query, key, key, { keyLengths: [3, 6] });
    const positions = position.toArray() as number[][];
    for (const p of positions[0]) expect(p).toBeLessThanOrEqual(2);
    const predicted = layer.forward(query, key).position.toArray() as number[][];
    assertAllclose(position, [...predicted[0].map((p) => (p / 5) * 2), ...predicted[1]], { abs: 1e-5, rel: 1e-5 });
    for (const row of (weights.toArray() as number[][][])[0]) expect(row.slice(3)).toEqual([0, 0, 0]);
  });

  it('rejects bad settings and shapes', () => {
    expect(() => new LocalPAttention(0)).toThrow(ValueError);
    expect(() => new LocalPAttention(4, { window: -1 })).toThrow(/window/);
    expect(() => new LocalPAttention(4, { mode: 'global' as 'monotonic' })).toThrow(/mode/);
    const layer = new LocalPAttention(4);
    expect(() => layer.forward(r(2, 3, 5), r(2, 6, 4))).toThrow(/query/);
    expect(() => layer.forward(r(2, 3, 4), r(2, 6, 4), r(2, 5, 4))).toThrow(/value/);
    expect(() => layer.forward(r(2, 3, 4), r(2, 6, 4), r(2, 6, 4), { keyLengths: [3] })).toThrow(/keyLengths/);
    expect(() => layer.forward(r(2, 3, 4), r(2, 6, 4), r(2, 6, 4), { offset: -1 })).toThrow(/offset/);
  });
});
