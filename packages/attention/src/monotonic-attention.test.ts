import { Generator, ShapeError, ValueError, randn, slice, tensor, type Tensor } from '@heed/tensor';
import { GeneralScore, dotScore } from '@heed/scoring';
import { assertAllclose } from '@heed/tensor/testing';
import { describe, expect, it } from 'vitest';
import { expectFinite, expectGradients } from '../test/plain-attention.js';
import { MonotonicAttention, monotonicAlignment, monotonicAttention } from './index.js';

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

/** The paper's recurrence, term by term in float64: α_i,j = p_i,j Σ_k α_{i−1,k} Π_{l=k}^{j−1} (1 − p_i,l). */
function bruteForceExpected(energy: number[][][], initial?: number[][]): number[] {
  const out: number[] = [];
  energy.forEach((rows, b) => {
    const keys = rows[0].length;
    let previous = initial?.[b] ?? Array.from({ length: keys }, (_, j) => (j === 0 ? 1 : 0));
    for (const row of rows) {
      const p = row.map(sigmoid);
      const next = p.map((stop, j) => {
        let total = 0;
        for (let k = 0; k <= j; k++) {
          let product = 1;
          for (let l = k; l < j; l++) product *= 1 - p[l];
          total += previous[k] * product;
        }
        return stop * total;
      });
      out.push(...next);
      previous = next;
    }
  });
  return out;
}

/** Raffel et al. Algorithm 1 (test time) with plain loops: the chosen key per step, or -1. */
function greedyPositions(energy: number[][]): number[] {
  let position = 0;
  let stopped = true;
  return energy.map((row) => {
    if (!stopped) return -1;
    const found = row.findIndex((value, j) => j >= position && sigmoid(value) >= 0.5);
    stopped = found >= 0;
    if (stopped) position = found;
    return found;
  });
}

const generator = new Generator(2017);
const r = (...shape: number[]): Tensor => randn(shape, { generator });
const rowSums = (weights: Tensor): number[] => Array.from(weights.sum(-1).dataSync());

describe('monotonicAlignment (expected, training)', () => {
  it('equals the brute-force recurrence on small random inputs, with and without a previous alignment', () => {
    for (const [batch, queries, keys] of [[2, 3, 4], [1, 5, 6], [3, 1, 3], [2, 4, 1]]) {
      const energy = r(batch, queries, keys).mul(2);
      const nested = energy.toArray() as number[][][];
      assertAllclose(monotonicAlignment(energy), bruteForceExpected(nested), { abs: 1e-6, rel: 1e-5 });
      const previous = r(batch, keys).softmax(-1);
      assertAllclose(monotonicAlignment(energy, { previousAlignment: previous }), bruteForceExpected(nested, previous.toArray() as number[][]), { abs: 1e-6, rel: 1e-5 });
    }
  });

  it('has rows that sum to at most 1, and stays exact where the cumulative product underflows', () => {
    const energy = r(2, 6, 80).mul(6).add(3);
    const weights = monotonicAlignment(energy);
    expectFinite(weights.dataSync());
    for (const total of rowSums(weights)) expect(total).toBeLessThanOrEqual(1 + 1e-6);
    expect(Math.min(...weights.dataSync())).toBeGreaterThanOrEqual(0);
    // Energies of -30 make Π(1 − p) over a row ~ 1, energies of 30 make it ~ e^-30 per key: the
    // paper’s parallel form divides by that cumulative product (it underflows in float32); the log-space carry never does.
    const steep = tensor([[[-30, -30, 30, 30, -30, 30], [30, -30, -30, -30, 30, -30], [-30, -30, -30, -30, -30, 30]]]);
    assertAllclose(monotonicAlignment(steep), bruteForceExpected(steep.toArray() as number[][][]), { abs: 1e-6, rel: 1e-5 });
    assertAllclose(monotonicAlignment(steep), monotonicAlignment(steep, { mode: 'hard' }).dataSync(), { abs: 1e-6, rel: 0 });
    assertAllclose(monotonicAlignment(energy), bruteForceExpected(energy.toArray() as number[][][]), { abs: 1e-6, rel: 1e-4 });
  });

  it('never stops at a masked key', () => {
    const energy = r(2, 3, 5);
    const keep = tensor([[true, true, false, true, false], [true, false, true, true, true]]).reshape([2, 1, 5]);
    const weights = monotonicAlignment(energy, { mask: keep });
    const masked = energy.toArray() as number[][][];
    masked.forEach((rows, b) => rows.forEach((row) => row.forEach((_, j) => {
      if (!(keep.toArray() as boolean[][][])[b][0][j]) row[j] = -Infinity;
    })));
    assertAllclose(weights, bruteForceExpected(masked), { abs: 1e-6, rel: 1e-5 });
    const values = weights.reshape([2, 3, 5]).toArray() as number[][][];
    for (const row of values[0]) expect([row[2], row[4]]).toEqual([0, 0]);
  });

  it('gives zero rows and zero gradients for fully masked steps', () => {
    const energy = r(1, 3, 4).requiresGrad_();
    const keep = tensor([[[true, true, true, true], [false, false, false, false], [true, true, true, true]]]);
    const weights = monotonicAlignment(energy, { mask: keep });
    expect(Array.from(weights.dataSync().slice(4))).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    weights.mul(r(1, 3, 4)).sum().backward();
    expectFinite(energy.grad!.dataSync());
    expect(Array.from(energy.grad!.dataSync().slice(4, 8))).toEqual([0, 0, 0, 0]);
  });

  it('adds seeded Gaussian noise before the sigmoid', () => {
    const energy = r(2, 3, 4);
    const noisy = monotonicAlignment(energy, { noise: 0.7, generator: new Generator(5) });
    const byHand = monotonicAlignment(energy.add(randn([2, 3, 4], { generator: new Generator(5) }).mul(0.7)));
    assertAllclose(noisy, byHand.dataSync(), { abs: 1e-6, rel: 1e-6 });
    assertAllclose(monotonicAlignment(energy, { noise: 0.7, generator: new Generator(5) }), noisy.dataSync(), { abs: 0, rel: 0 });
    expect(Array.from(noisy.dataSync())).not.toEqual(Array.from(monotonicAlignment(energy).dataSync()));
  });

  it('has autograd gradients that match finite differences', () => {
    expectGradients((energy) => monotonicAlignment(energy), [r(2, 3, 4)]);
    expectGradients((energy, previous) => monotonicAlignment(energy, { previousAlignment: previous, mask: tensor([true, true, false, true, true]) }), [r(1, 3, 5), r(1, 5).softmax(-1)]);
    expectGradients((query, key, value) => monotonicAttention(query, key, value, { score: 'dot' }).output, [r(1, 3, 2), r(1, 4, 2), r(1, 4, 3)]);
  });
});

describe('monotonicAlignment (hard, inference)', () => {
  it('follows the greedy stop rule: one-hot or zero rows, never moving backwards', () => {
    for (let trial = 0; trial < 20; trial++) {
      const energy = r(1, 6, 7).mul(2).sub(0.5);
      const weights = monotonicAlignment(energy, { mode: 'hard' }).toArray() as number[][][];
      const want = greedyPositions((energy.toArray() as number[][][])[0]);
      let last = 0;
      weights[0].forEach((row, i) => {
        const chosen = row.findIndex((value) => value === 1);
        expect(row.filter((value) => value !== 0).length).toBe(chosen >= 0 ? 1 : 0);
        expect(chosen).toBe(want[i]);
        if (chosen >= 0) {
          expect(chosen).toBeGreaterThanOrEqual(last);
          last = chosen;
        }
      });
    }
  });

  it('may stay on the same key, and stays silent once a step ran off the end', () => {
    const energy = tensor([[[-1, 2, 3], [-1, 0.5, -1], [-1, -1, -1], [5, 5, 5]]]);
    expect(monotonicAlignment(energy, { mode: 'hard' }).toArray()).toEqual([[[0, 1, 0], [0, 1, 0], [0, 0, 0], [0, 0, 0]]]);
    expect(monotonicAlignment(energy, { mode: 'hard', mask: tensor([true, false, true]) }).toArray()).toEqual([[[0, 0, 1], [0, 0, 0], [0, 0, 0], [0, 0, 0]]]);
  });

  it('decodes step by step with previousAlignment exactly as all at once', () => {
    const energy = r(2, 4, 5);
    for (const mode of ['expected', 'hard'] as const) {
      const whole = monotonicAlignment(energy, { mode });
      let previous: Tensor | undefined;
      for (let step = 0; step < 4; step++) {
        const row = monotonicAlignment(slice(energy, 1, step, step + 1), { mode, ...(previous ? { previousAlignment: previous } : {}) });
        assertAllclose(row, slice(whole, 1, step, step + 1).dataSync(), { abs: 1e-7, rel: 1e-6 });
        previous = row.reshape([2, 5]);
      }
    }
  });
});

describe('monotonicAttention and MonotonicAttention', () => {
  it('score, alignment and context compose as documented', () => {
    const query = r(2, 3, 4);
    const key = r(2, 5, 4);
    const value = r(2, 5, 6);
    const { output, weights } = monotonicAttention(query, key, value, { score: 'dot' });
    assertAllclose(weights, monotonicAlignment(dotScore(query, key)).dataSync(), { abs: 0, rel: 0 });
    assertAllclose(output, weights.matmul(value).dataSync(), { abs: 1e-6, rel: 1e-6 });
    expect(output.shape).toEqual([2, 3, 6]);
  });

  it('trains expected alignments with noise and infers hard ones; its parameters get gradients', () => {
    const layer = new MonotonicAttention({ score: new GeneralScore(4, 3, { generator: new Generator(1) }), scoreBias: -1, generator: new Generator(2) });
    const query = r(2, 3, 4);
    const key = r(2, 5, 3);
    const { output, weights } = layer.forward(query, key);
    expect(output.shape).toEqual([2, 3, 3]);
    expect(Array.from(weights.dataSync()).every((value) => value > 0 && value < 1)).toBe(true);
    output.sum().backward();
    for (const parameter of layer.parameters()) expectFinite(parameter.grad!.dataSync());
    expect(layer.parameters().length).toBe(2);
    layer.eval();
    const hard = layer.forward(query, key).weights;
    const energy = new GeneralScore(4, 3, { generator: new Generator(1) }).forward(query, key).sub(1);
    expect(hard.toArray()).toEqual(monotonicAlignment(energy, { mode: 'hard' }).toArray());
  });

  it('rejects bad input, naming the argument', () => {
    expect(() => monotonicAlignment(tensor([1, 2]))).toThrow(ShapeError);
    expect(() => monotonicAlignment(r(2, 3, 4), { previousAlignment: r(2, 5) })).toThrow(/previousAlignment/);
    expect(() => monotonicAlignment(r(2, 3, 4), { previousAlignment: r(3, 4) })).toThrow(/previousAlignment/);
    expect(() => monotonicAlignment(r(2, 3, 4), { noise: -1 })).toThrow(ValueError);
    expect(() => monotonicAlignment(r(2, 3, 4), { mode: 'soft' as 'hard' })).toThrow(/mode/);
    expect(() => monotonicAlignment(r(2, 3, 4), { mask: tensor([true, false]) })).toThrow(ShapeError);
    expect(() => monotonicAttention(r(2, 3, 4), r(2, 5, 4), r(2, 4, 4))).toThrow(/value/);
    expect(() => new MonotonicAttention({ inference: 'soft' as 'hard' })).toThrow(ValueError);
  });
});
