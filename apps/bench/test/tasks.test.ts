import { Generator } from '@heed/tensor';
import { describe, expect, it } from 'vitest';
import { accuracy, addingProblemTask, associativeRecallTask, copyMemoryTask, meanSquaredError, recallPairs, sampleDistinct, selectiveCopyingTask, type TaskBatch } from '../src/tasks/index.js';

/** The one-hot index at (b, t), or -1 when the position is all zeros. */
function tokenAt(batch: TaskBatch, b: number, t: number, from = 0, to = batch.features): number {
  const base = (b * batch.length + t) * batch.features;
  for (let f = from; f < to; f++) if (batch.inputs[base + f] === 1) return f;
  return -1;
}

describe('copy memory', () => {
  const task = copyMemoryTask({ symbols: 4, alphabet: 8 });

  it('lays out data, blanks, the delimiter and the answers, with targets equal to the data', () => {
    const batch = task.generate(16, 20, new Generator(1));
    expect(batch.inputs.length).toBe(16 * 20 * 10);
    expect(batch.answers).toBe(4);
    for (let b = 0; b < 16; b++) {
      for (let i = 0; i < 4; i++) expect(tokenAt(batch, b, i)).toBe(batch.targets[b * 4 + i] + 1);
      for (let t = 4; t < 20; t++) expect(tokenAt(batch, b, t)).toBe(t === 20 - 4 - 1 ? 9 : 0);
    }
  });

  it('is reproducible from the seed and differs across seeds', () => {
    const a = task.generate(8, 12, new Generator(5));
    const b = task.generate(8, 12, new Generator(5));
    const c = task.generate(8, 12, new Generator(6));
    expect(a.inputs).toEqual(b.inputs);
    expect(a.targets).toEqual(b.targets);
    expect(c.targets).not.toEqual(a.targets);
  });

  it('has a memoryless baseline near 1/K, computed by running it', () => {
    const evaluation = task.generate(4000, 12, new Generator(2));
    const baseline = task.baseline(evaluation, task.generate(4000, 12, new Generator(3)));
    expect(baseline.score).toBeGreaterThan(0.1);
    expect(baseline.score).toBeLessThan(0.15);
    expect(baseline.extra?.value).toBeCloseTo(Math.log(8), 1);
  });

  it('rejects lengths too short for the layout', () => {
    expect(() => task.generate(1, 8, new Generator(1))).toThrow(/length must be an integer ≥ 9/);
  });
});

describe('adding problem', () => {
  const task = addingProblemTask();

  it('marks exactly two positions, one per half, and the target is their sum', () => {
    const batch = task.generate(64, 30, new Generator(4));
    for (let b = 0; b < 64; b++) {
      const marked: number[] = [];
      let sum = 0;
      for (let t = 0; t < 30; t++) {
        const base = (b * 30 + t) * 2;
        expect(batch.inputs[base]).toBeGreaterThanOrEqual(0);
        expect(batch.inputs[base]).toBeLessThan(1);
        if (batch.inputs[base + 1] === 1) {
          marked.push(t);
          sum += batch.inputs[base];
        }
      }
      expect(marked).toHaveLength(2);
      expect(marked[0]).toBeLessThan(15);
      expect(marked[1]).toBeGreaterThanOrEqual(15);
      expect(batch.targets[b]).toBeCloseTo(sum, 5);
    }
  });

  it('answering 1 scores MSE ≈ 1/6 (the literature baseline) on a large sample', () => {
    const evaluation = task.generate(20000, 10, new Generator(9));
    const baseline = task.baseline(evaluation, evaluation);
    expect(baseline.name).toBe('always answer 1');
    expect(Math.abs(baseline.score - 1 / 6)).toBeLessThan(0.01);
  });
});

describe('multi-query associative recall', () => {
  const task = associativeRecallTask({ keys: 16, values: 4, queries: 3 });

  it('lists distinct keys with values, then asks for listed keys whose values are the targets', () => {
    const batch = task.generate(32, 11, new Generator(8));
    const pairs = 8;
    for (let b = 0; b < 32; b++) {
      const valueOf = new Map<number, number>();
      for (let t = 0; t < pairs; t++) {
        const key = tokenAt(batch, b, t, 0, 16);
        expect(valueOf.has(key)).toBe(false);
        valueOf.set(key, tokenAt(batch, b, t, 16, 20) - 16);
        expect(batch.inputs[(b * 11 + t) * 21 + 20]).toBe(0);
      }
      for (let q = 0; q < 3; q++) {
        const key = tokenAt(batch, b, pairs + q, 0, 16);
        expect(batch.inputs[(b * 11 + pairs + q) * 21 + 20]).toBe(1);
        expect(batch.targets[b * 3 + q]).toBe(valueOf.get(key));
      }
    }
  });

  it('with pairsPerLength, lists ⌊T·f⌋ pairs, then blanks, then the queries at the end', () => {
    const sparse = associativeRecallTask({ keys: 16, values: 4, queries: 3, pairsPerLength: 1 / 8 });
    const length = 64;
    const batch = sparse.generate(8, length, new Generator(2));
    expect(recallPairs(length, { queries: 3, pairsPerLength: 1 / 8 })).toBe(8);
    for (let b = 0; b < 8; b++) {
      const valueOf = new Map<number, number>();
      for (let t = 0; t < 8; t++) valueOf.set(tokenAt(batch, b, t, 0, 16), tokenAt(batch, b, t, 16, 20) - 16);
      expect(valueOf.size).toBe(8);
      for (let t = 8; t < length - 3; t++) expect(batch.inputs.subarray((b * length + t) * 21, (b * length + t + 1) * 21).every((value) => value === 0)).toBe(true);
      for (let q = 0; q < 3; q++) {
        const position = length - 3 + q;
        expect(batch.inputs[(b * length + position) * 21 + 20]).toBe(1);
        expect(batch.targets[b * 3 + q]).toBe(valueOf.get(tokenAt(batch, b, position, 0, 16)));
      }
    }
  });

  it('refuses more pairs than keys', () => {
    expect(() => task.generate(1, 30, new Generator(1))).toThrow(/need at least 27 keys/);
  });
});

describe('selective copying', () => {
  it('targets are the data tokens in order of position, before the delimiter', () => {
    const task = selectiveCopyingTask({ symbols: 3, alphabet: 5 });
    const batch = task.generate(32, 20, new Generator(3));
    for (let b = 0; b < 32; b++) {
      const seen: number[] = [];
      for (let t = 0; t < 20 - 3 - 1; t++) {
        const token = tokenAt(batch, b, t);
        if (token >= 1 && token <= 5) seen.push(token - 1);
      }
      expect(tokenAt(batch, b, 20 - 3 - 1)).toBe(6);
      expect(seen).toEqual(Array.from(batch.targets.subarray(b * 3, b * 3 + 3)));
    }
  });
});

describe('helpers', () => {
  it('sampleDistinct draws distinct values in range', () => {
    const values = sampleDistinct(10, 10, new Generator(1));
    expect([...values].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(() => sampleDistinct(3, 4, new Generator(1))).toThrow(RangeError);
  });

  it('scores accuracy and MSE', () => {
    expect(accuracy([1, 2, 3, 4], [1, 0, 3, 0])).toBe(0.5);
    expect(meanSquaredError([1, 2], [0, 4])).toBe(2.5);
    expect(() => accuracy([1], [1, 2])).toThrow(RangeError);
  });
});
