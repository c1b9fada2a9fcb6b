// The alignment demo: the in-page training improves on chance, and alignment files are read in
// both documented shapes (and rejected with a reason otherwise).
import { describe, expect, it } from 'vitest';
import { parseAlignments, trainReversal } from '../.vitepress/theme/demos/seq2seq.js';

describe('trainReversal', () => {
  it('learns to reverse strings well above chance (1/8) and returns a row-stochastic alignment', async () => {
    const losses: number[] = [];
    const result = await trainReversal({ steps: 60, onProgress: (_step, loss) => void losses.push(loss) });
    expect(losses.at(-1)).toBeLessThan(losses[0] ?? 0);
    expect(result.accuracy).toBeGreaterThan(0.3);
    expect(result.alignment.weights).toHaveLength(5);
    for (const row of result.alignment.weights) expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
    expect(result.alignment.target).toEqual([...result.alignment.source].reverse());
  }, 120_000);
});

describe('parseAlignments', () => {
  it('reads { source, target, weights }', () => {
    const [alignment] = parseAlignments({ source: ['a', 'b'], target: ['x'], weights: [[0.25, 0.75]] });
    expect(alignment).toEqual({ source: ['a', 'b'], target: ['x'], weights: [[0.25, 0.75]] });
  });

  it("reads the rnn dates example's file, labelling end-of-sequence steps", () => {
    const file = { examples: [{ source: 'ab', target: 'xy', prediction: 'xy', alignment: [[1, 0, 0], [0, 1, 0], [0, 0, 1]] }, { source: 'c', target: 'z', prediction: 'z', alignment: [[1]] }] };
    const alignments = parseAlignments(file);
    expect(alignments).toHaveLength(2);
    expect(alignments[0]).toMatchObject({ source: ['a', 'b', '</s>'], target: ['x', 'y', '</s>'] });
  });

  it('rejects other shapes with the reason', () => {
    expect(() => parseAlignments({ source: ['a'], target: ['x', 'y'], weights: [[1]] })).toThrow(/expected 2 rows/);
    expect(() => parseAlignments({ source: ['a', 'b'], target: ['x'], weights: [[1]] })).toThrow(/2 weights/);
    expect(() => parseAlignments({ hello: 1 })).toThrow(/expected/);
    expect(() => parseAlignments({ examples: [{ source: 'abc', prediction: 'x', alignment: [[1, 0]] }] })).toThrow(/2 source weights for 3 tokens/);
  });
});
