// The attention heatmap demo's computation, checked against what attention must satisfy.
import { describe, expect, it } from 'vitest';
import { computeHeatmap, heatmapScores, heatmapWeightings, type HeatmapOptions } from '../.vitepress/theme/demos/heatmap.js';

const tokens = 'the cat sat on the mat'.split(' ');
const base: HeatmapOptions = { tokens, score: 'scaledDot', weighting: 'soft', mask: 'none', heads: 1 };
const rowSums = (weights: number[][][]): number[] => weights.flatMap((head) => head.map((row) => row.reduce((a, b) => a + b, 0)));

describe('computeHeatmap', () => {
  for (const score of heatmapScores) {
    for (const weighting of heatmapWeightings) {
      it(`${score} + ${weighting}: one [L, S] matrix per head whose rows sum to 1`, () => {
        const { weights } = computeHeatmap({ ...base, score, weighting, heads: 2 });
        expect(weights).toHaveLength(2);
        expect(weights[0]).toHaveLength(tokens.length);
        for (const sum of rowSums(weights)) expect(sum).toBeCloseTo(1, 5);
        for (const value of weights.flat(2)) expect(value).toBeGreaterThanOrEqual(0);
      });
    }
  }

  it('a causal mask gives no weight to later words', () => {
    const { weights, allowed } = computeHeatmap({ ...base, mask: 'causal', heads: 4 });
    for (const head of weights) head.forEach((row, query) => row.forEach((value, key) => expect(key > query ? value : 0).toBe(0)));
    expect(allowed[0]).toEqual([true, false, false, false, false, false]);
  });

  it('a padding mask removes the last two keys for every query', () => {
    const { weights } = computeHeatmap({ ...base, mask: 'padding' });
    for (const row of weights[0] ?? []) expect(row.slice(-2)).toEqual([0, 0]);
  });

  it('hard weighting puts all the weight on the best score', () => {
    const { weights, scores } = computeHeatmap({ ...base, weighting: 'hard' });
    (weights[0] ?? []).forEach((row, query) => {
      const best = (scores[0]?.[query] ?? []).indexOf(Math.max(...(scores[0]?.[query] ?? [])));
      expect(row.indexOf(1)).toBe(best);
    });
  });

  it('a higher temperature flattens the weights', () => {
    const peak = (temperature: number) => Math.max(...computeHeatmap({ ...base, temperature }).weights.flat(2));
    expect(peak(4)).toBeLessThan(peak(0.5));
  });

  it('softmax weights are the softmax of the scores it returns', () => {
    const { weights, scores } = computeHeatmap({ ...base, score: 'dot' });
    const row = scores[0]?.[2] ?? [];
    const max = Math.max(...row);
    const exps = row.map((value) => Math.exp(value - max));
    const total = exps.reduce((a, b) => a + b, 0);
    exps.forEach((value, key) => expect(weights[0]?.[2]?.[key]).toBeCloseTo(value / total, 5));
  });

  it('rejects a head count that does not divide the width', () => {
    expect(() => computeHeatmap({ ...base, heads: 3 })).toThrow(/do not divide/);
  });
});
