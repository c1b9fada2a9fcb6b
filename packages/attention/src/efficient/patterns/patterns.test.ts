import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HeedError, ShapeError, ValueError, tensor } from '@heed/tensor';
import {
  bigBirdPattern,
  blockSparsePattern,
  customPattern,
  dilatedPattern,
  longformerPattern,
  slidingWindowPattern,
  unionPatterns,
  type AttentionPattern,
} from '../index.js';

/** The mask a rule gives, drawn by brute force from its definition. */
function expected(queryLength: number, keyLength: number, rule: (row: number, column: number, position: number) => boolean): boolean[][] {
  return Array.from({ length: queryLength }, (_, row) => Array.from({ length: keyLength }, (_, column) => rule(row, column, row + keyLength - queryLength)));
}

const lengths = fc.record({ queryLength: fc.integer({ min: 1, max: 24 }), keyLength: fc.integer({ min: 1, max: 24 }) });

describe('attention patterns: dense masks follow their definitions', () => {
  it('sliding window: p - before <= j <= p + after, bottom-right aligned, optionally causal', () => {
    fc.assert(
      fc.property(lengths, fc.integer({ min: 0, max: 6 }), fc.integer({ min: 0, max: 6 }), fc.boolean(), ({ queryLength, keyLength }, before, after, causal) => {
        const pattern = slidingWindowPattern({ window: [before, after], causal });
        const want = expected(queryLength, keyLength, (_, j, p) => j >= p - before && j <= p + after && (!causal || j <= p));
        expect(pattern.denseMask(queryLength, keyLength).toArray()).toEqual(want);
      }),
      { numRuns: 60 },
    );
  });

  it('a reach W allows |p - j| < W; causal keeps the last W keys (Mistral)', () => {
    expect(slidingWindowPattern({ window: 2 }).denseMask(3).toArray()).toEqual([
      [true, true, false],
      [true, true, true],
      [false, true, true],
    ]);
    const causal = slidingWindowPattern({ window: 3, causal: true }).denseMask(5).toArray() as boolean[][];
    expect(causal.map((row) => row.filter(Boolean).length)).toEqual([1, 2, 3, 3, 3]);
  });

  it('dilated: j = p - k·dilation for k within the window of steps; unlimited is strided', () => {
    fc.assert(
      fc.property(lengths, fc.integer({ min: 1, max: 4 }), fc.option(fc.integer({ min: 1, max: 4 })), fc.boolean(), ({ queryLength, keyLength }, dilation, reach, causal) => {
        const pattern = dilatedPattern({ dilation, ...(reach === null ? {} : { window: reach }), causal });
        const want = expected(queryLength, keyLength, (_, j, p) => {
          const distance = p - j;
          const steps = Math.abs(distance) / dilation;
          return distance % dilation === 0 && (reach === null || steps < reach) && (!causal || j <= p);
        });
        expect(pattern.denseMask(queryLength, keyLength).toArray()).toEqual(want);
      }),
      { numRuns: 60 },
    );
  });

  it('block-sparse: the layout, expanded to blocks', () => {
    const layout = [
      [true, false, true],
      [false, true, false],
    ];
    const mask = blockSparsePattern({ blockSize: 2, layout }).denseMask(4, 6).toArray();
    expect(mask).toEqual(expected(4, 6, (i, j) => layout[Math.floor(i / 2)][Math.floor(j / 2)]));
    const fromTensor = blockSparsePattern({ blockSize: 2, layout: tensor(layout) });
    expect(fromTensor.denseMask(4, 6).toArray()).toEqual(mask);
  });

  it('longformer: window or global key or global query', () => {
    fc.assert(
      fc.property(lengths, fc.integer({ min: 1, max: 4 }), fc.array(fc.nat(23), { maxLength: 3 }), fc.boolean(), ({ queryLength, keyLength }, reach, globals, causal) => {
        const globalTokens = globals.filter((position) => position < keyLength);
        const pattern = longformerPattern({ window: reach, globalTokens, causal });
        const want = expected(queryLength, keyLength, (_, j, p) => (Math.abs(p - j) < reach || globalTokens.includes(j) || globalTokens.includes(p)) && (!causal || j <= p));
        expect(pattern.denseMask(queryLength, keyLength).toArray()).toEqual(want);
      }),
      { numRuns: 60 },
    );
  });

  it('bigbird: global blocks, a window of blocks and exactly randomBlocks seeded random blocks', () => {
    const blockSize = 2;
    const pattern = bigBirdPattern({ blockSize, windowBlocks: 3, globalBlocks: 1, randomBlocks: 2, seed: 5 });
    const blocks = 8;
    const mask = pattern.denseMask(blocks * blockSize).toArray() as boolean[][];
    const cell = (row: number, column: number): boolean => mask[row * blockSize][column * blockSize];
    for (let row = 0; row < blocks; row++) {
      // Each block is uniform.
      for (let i = 0; i < blockSize; i++) for (let j = 0; j < blocks * blockSize; j++) expect(mask[row * blockSize + i][j]).toBe(cell(row, Math.floor(j / blockSize)));
      const allowed = Array.from({ length: blocks }, (_, column) => cell(row, column));
      if (row === 0) {
        expect(allowed.every(Boolean)).toBe(true);
        continue;
      }
      expect(allowed[0]).toBe(true);
      for (let column = row - 1; column <= Math.min(blocks - 1, row + 1); column++) expect(allowed[column]).toBe(true);
      const fixed = new Set([0, row - 1, row, row + 1].filter((column) => column < blocks));
      expect(allowed.filter((ok, column) => ok && !fixed.has(column)).length).toBe(2);
    }
    expect(bigBirdPattern({ blockSize, seed: 5 }).denseMask(16).toArray()).toEqual(mask);
    const other = bigBirdPattern({ blockSize, seed: 6 }).denseMask(16).toArray();
    expect(other).not.toEqual(mask);
  });

  it('causal bigbird draws random blocks only at or before the diagonal', () => {
    const mask = bigBirdPattern({ blockSize: 3, randomBlocks: 3, causal: true, seed: 1 }).denseMask(30).toArray() as boolean[][];
    mask.forEach((row, i) => row.forEach((ok, j) => expect(ok && j > i).toBe(false)));
  });

  it('union and custom patterns', () => {
    const local = slidingWindowPattern({ window: 2 });
    const strided = dilatedPattern({ dilation: 4 });
    const union = unionPatterns([local, strided], { causal: true });
    const a = local.denseMask(9).toArray() as boolean[][];
    const b = strided.denseMask(9).toArray() as boolean[][];
    expect(union.denseMask(9).toArray()).toEqual(a.map((row, i) => row.map((ok, j) => (ok || b[i][j]) && j <= i)));
    const prefix = customPattern((row, column) => column < 3 || column <= row);
    expect(prefix.denseMask(5).toArray()).toEqual(expected(5, 5, (i, j) => j < 3 || j <= i));
    expect(prefix.allows(1, 2, 5)).toBe(true);
    expect(prefix.allows(3, 4, 5)).toBe(false);
  });
});

describe('attention patterns: key blocks', () => {
  const patterns: [string, AttentionPattern][] = [
    ['sliding', slidingWindowPattern({ window: [3, 1] })],
    ['dilated', dilatedPattern({ dilation: 3, window: 2, causal: true })],
    ['longformer', longformerPattern({ window: 2, globalTokens: [0, 7] })],
    ['bigbird', bigBirdPattern({ blockSize: 4, randomBlocks: 1 })],
    ['custom', customPattern((row, column) => (row * 7 + column * 3) % 5 === 0)],
  ];
  it.each(patterns)('%s: block b lists exactly the key blocks with an allowed pair', (_, pattern) => {
    for (const blockSize of [2, 4, 5]) {
      const mask = pattern.denseMask(20, 24).toArray() as boolean[][];
      const blocks = pattern.keyBlocks(20, 24, blockSize);
      expect(blocks.length).toBe(Math.ceil(20 / blockSize));
      blocks.forEach((list, block) => {
        const want: number[] = [];
        for (let column = 0; column < Math.ceil(24 / blockSize); column++) {
          let any = false;
          for (let i = block * blockSize; i < Math.min(20, (block + 1) * blockSize); i++) {
            for (let j = column * blockSize; j < Math.min(24, (column + 1) * blockSize); j++) any ||= mask[i][j];
          }
          if (any) want.push(column);
        }
        expect([...list]).toEqual(want);
      });
    }
  });
});

describe('attention patterns: errors', () => {
  it('window < 1, negative sides and non-integers are ValueErrors naming the window', () => {
    for (const window of [0, -1, 1.5, Number.NaN]) expect(() => slidingWindowPattern({ window })).toThrow(/argument window/);
    expect(() => slidingWindowPattern({ window: [-1, 0] })).toThrow(ValueError);
    expect(() => slidingWindowPattern({ window: [1, 2, 3] as unknown as [number, number] })).toThrow(ValueError);
    expect(() => dilatedPattern({ dilation: 0 })).toThrow(/argument dilation/);
    expect(() => longformerPattern({ window: 0, globalTokens: [] })).toThrow(/argument window/);
    expect(() => bigBirdPattern({ blockSize: 4, windowBlocks: 2 })).toThrow(/argument windowBlocks.*odd/);
    expect(() => bigBirdPattern({ blockSize: 0 })).toThrow(/argument blockSize/);
  });

  it('a block size that does not divide the lengths is a ShapeError naming the length and shape', () => {
    const pattern = blockSparsePattern({ blockSize: 4, layout: [[true, true], [false, true]] });
    expect(() => pattern.denseMask(6, 8)).toThrow(ShapeError);
    expect(() => pattern.denseMask(6, 8)).toThrow(/argument queryLength: expected shape \[L\] with L a multiple of blockSize 4, got \[6\]/);
    expect(() => pattern.denseMask(8, 12)).toThrow(/argument keyLength: .*= 2 layout columns × blockSize 4 = 8, got \[12\]/);
    expect(() => bigBirdPattern({ blockSize: 4 }).denseMask(8, 10)).toThrow(/keyLength.*multiple of blockSize 4/);
  });

  it('global tokens outside the keys, bad layouts and rows are rejected', () => {
    expect(() => longformerPattern({ window: 2, globalTokens: [9] }).denseMask(8)).toThrow(/globalTokens.*position 9 is outside the 8 keys/);
    expect(() => blockSparsePattern({ blockSize: 2, layout: [[true], [true, false]] })).toThrow(/argument layout/);
    expect(() => slidingWindowPattern({ window: 2 }).allows(5, 0, 4)).toThrow(/argument row/);
    try {
      slidingWindowPattern({ window: 0 });
    } catch (error) {
      expect(HeedError.isInstance(error)).toBe(true);
    }
  });
});
