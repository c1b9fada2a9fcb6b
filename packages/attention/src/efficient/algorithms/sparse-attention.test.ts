import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DTypeError, Generator, ShapeError, ValueError, logicalAnd, randn, tensor, where } from '@heed/tensor';
import { gradcheck } from '@heed/tensor/testing';
import { paddingMask } from '../../masks.js';
import {
  bigBirdPattern,
  blockSparsePattern,
  customPattern,
  dilatedPattern,
  longformerPattern,
  slidingWindowPattern,
  sparseAttention,
  sparseAttentionCost,
  unionPatterns,
  type AttentionPattern,
} from '../index.js';
import { denseAttention, expectSameAttention, leaves, positionMask, randomMask } from '../reference.test-helper.js';

/** A random pattern that fits lengths `L`, `S` (block patterns need multiples of their block). */
function patternFor(kind: number, generator: Generator, queryLength: number, keyLength: number): AttentionPattern {
  const small = (limit: number): number => 1 + Math.floor(generator.nextFloat() * limit);
  switch (kind) {
    case 0:
      return slidingWindowPattern({ window: small(5), blockSize: small(8) });
    case 1:
      return slidingWindowPattern({ window: [small(6) - 1, small(3) - 1], causal: true });
    case 2:
      return dilatedPattern({ dilation: small(3), window: generator.nextFloat() < 0.5 ? small(3) : [small(3), 0] });
    case 3:
      return longformerPattern({ window: small(3), globalTokens: [0, keyLength - 1], blockSize: small(6) });
    case 4: {
      const blockSize = gcdBlock(queryLength, keyLength);
      const layout = Array.from({ length: queryLength / blockSize }, () => Array.from({ length: keyLength / blockSize }, () => generator.nextFloat() < 0.5));
      return blockSparsePattern({ blockSize, layout });
    }
    case 5:
      return bigBirdPattern({ blockSize: gcdBlock(queryLength, keyLength), randomBlocks: 1, seed: small(100) });
    case 6:
      return unionPatterns([slidingWindowPattern({ window: 2 }), dilatedPattern({ dilation: 3 })]);
    default:
      return customPattern((row, column) => (row + 2 * column) % 3 !== 0);
  }
}

function gcdBlock(a: number, b: number): number {
  for (const size of [4, 3, 2]) if (a % size === 0 && b % size === 0) return size;
  return 1;
}

describe('sparseAttention equals full attention with the pattern as a mask', () => {
  it('for every pattern, random shapes, causal and padding masks (forward and gradients)', () => {
    fc.assert(
      fc.property(
        fc.record({
          kind: fc.integer({ min: 0, max: 7 }),
          batch: fc.integer({ min: 1, max: 2 }),
          heads: fc.integer({ min: 1, max: 2 }),
          queryLength: fc.integer({ min: 1, max: 13 }),
          keyLength: fc.integer({ min: 1, max: 13 }),
          depth: fc.integer({ min: 1, max: 5 }),
          valueDepth: fc.integer({ min: 1, max: 4 }),
          causal: fc.boolean(),
          padded: fc.boolean(),
          seed: fc.nat(1000),
        }),
        ({ kind, batch, heads, queryLength, keyLength, depth, valueDepth, causal, padded, seed }) => {
          const generator = new Generator(seed);
          const pattern = patternFor(kind, generator, queryLength, keyLength);
          const inputs = leaves(generator, [batch, heads, queryLength, depth], [batch, heads, keyLength, depth], [batch, heads, keyLength, valueDepth]);
          const lengths = Array.from({ length: batch }, () => Math.floor(generator.nextFloat() * (keyLength + 1)));
          const mask = padded ? paddingMask(lengths, keyLength) : null;
          let keep = logicalAnd(pattern.denseMask(queryLength, keyLength), positionMask(queryLength, keyLength, causal));
          if (mask) keep = logicalAnd(keep, mask);
          expectSameAttention(
            (q, k, v) => sparseAttention(q, k, v, { pattern, mask, causal }),
            (q, k, v) => denseAttention(q, k, v, keep),
            inputs,
          );
        },
      ),
      { numRuns: 60 },
    );
  });

  it('takes rank-2 and rank-3 inputs, full [B, H, L, S] bool masks and additive masks', () => {
    const generator = new Generator(3);
    const pattern = longformerPattern({ window: 3, globalTokens: [2] });
    const [q2, k2, v2] = leaves(generator, [9, 4], [9, 4], [9, 3]);
    expectSameAttention((q, k, v) => sparseAttention(q, k, v, { pattern }), (q, k, v) => denseAttention(q, k, v, pattern.denseMask(9)), [q2, k2, v2]);
    const full = randomMask(generator, [2, 3, 9, 9]);
    const inputs = leaves(generator, [2, 3, 9, 4], [2, 3, 9, 4], [2, 3, 9, 2]);
    expectSameAttention(
      (q, k, v) => sparseAttention(q, k, v, { pattern, mask: full }),
      (q, k, v) => denseAttention(q, k, v, logicalAnd(full, pattern.denseMask(9))),
      inputs,
    );
    const bias = randn([3, 1, 9], { generator }).requiresGrad_();
    const [q3, k3, v3] = leaves(generator, [3, 9, 4], [3, 9, 4], [3, 9, 2]);
    expectSameAttention(
      (q, k, v, b) => sparseAttention(q, k, v, { pattern, mask: b, scale: 0.3 }),
      (q, k, v, b) => {
        const scores = q.matmul(k.transpose(-2, -1)).mul(0.3).add(b);
        return where(pattern.denseMask(9), scores, -Infinity).softmax(-1).matmul(v);
      },
      [q3, k3, v3, bias],
    );
  });

  it('passes a finite-difference gradient check', () => {
    const generator = new Generator(9);
    const pattern = bigBirdPattern({ blockSize: 2, randomBlocks: 1, seed: 2 });
    const inputs = [randn([1, 2, 8, 3], { generator }), randn([1, 2, 8, 3], { generator }), randn([1, 2, 8, 2], { generator })];
    const result = gradcheck((q, k, v) => sparseAttention(q, k, v, { pattern, causal: true }), inputs);
    expect(result.ok, result.message).toBe(true);
  });

  it('gives fully masked rows zero output and zero gradients', () => {
    const [query, key, value] = leaves(new Generator(4), [1, 6, 3], [1, 4, 3], [1, 4, 2]);
    const pattern = slidingWindowPattern({ window: 2 });
    const output = sparseAttention(query, key, value, { pattern, causal: true });
    output.sum().backward();
    // L > S with causal: the first L - S = 2 queries see no key.
    expect(Array.from(output.dataSync().slice(0, 4))).toEqual([0, 0, 0, 0]);
    expect(Array.from(query.grad!.dataSync().slice(0, 6))).toEqual([0, 0, 0, 0, 0, 0]);
    for (const grad of [query.grad!, key.grad!, value.grad!]) expect(grad.dataSync().every(Number.isFinite)).toBe(true);
  });

  it('computes memory linear in L for local patterns', () => {
    const window = slidingWindowPattern({ window: 32 });
    const cost = sparseAttentionCost(window, 2048);
    expect(cost.allowedPairs).toBe(2048 * 63 - 2 * (31 * 32) / 2);
    expect(cost.computedPairs).toBeLessThan(2048 * (63 + window.blockSize) * 1.15);
    expect(cost.examinedPairs).toBe(cost.allowedPairs); // a window's spans are exactly its keys
    const strided = sparseAttentionCost(dilatedPattern({ dilation: 16, window: 4 }), 2048);
    expect(strided.computedPairs).toBeLessThan(2048 * (7 + 32) * 1.15);
    const longformer = sparseAttentionCost(longformerPattern({ window: 16, globalTokens: [0, 1] }), 4096);
    expect(longformer.computedPairs).toBeLessThan(4096 * (31 + 16 + 2) * 1.15 + 2 * 4096);
  });
});

describe('sparseAttention errors', () => {
  const generator = new Generator(1);
  const [query, key, value] = [randn([2, 8, 4], { generator }), randn([2, 8, 4], { generator }), randn([2, 8, 3], { generator })];
  const pattern = slidingWindowPattern({ window: 2 });

  it('names the argument and shapes for bad shapes', () => {
    expect(() => sparseAttention(query, randn([2, 8, 5]), value, { pattern })).toThrow(/argument key: expected shape \[2, S, 4\], got \[2, 8, 5\]/);
    expect(() => sparseAttention(query, key, randn([2, 7, 3]), { pattern })).toThrow(/argument value: expected shape \[2, 8, Dv\], got \[2, 7, 3\]/);
    expect(() => sparseAttention(randn([4]), key, value, { pattern })).toThrow(ShapeError);
    expect(() => sparseAttention(query, key, value, { pattern, mask: tensor([true, false]) })).toThrow(/argument mask: expected shape broadcastable to/);
  });

  it('rejects a block size that does not divide L, missing patterns and bad options', () => {
    const blocks = blockSparsePattern({ blockSize: 3, layout: [[true, true], [true, true]] });
    expect(() => sparseAttention(query, key, value, { pattern: blocks })).toThrow(/argument query: expected shape \[\.\.\., L, D\] with L a multiple of blockSize 3, got \[2, 8, 4\]/);
    expect(() => sparseAttention(query, key, value, {} as never)).toThrow(ValueError);
    expect(() => sparseAttention(query, key, value, { pattern, scale: Number.NaN })).toThrow(/argument scale/);
    expect(() => sparseAttention(query, key, value, { pattern, blockSize: 0 })).toThrow(/argument blockSize/);
    expect(() => sparseAttention(query.int(), key, value, { pattern })).toThrow(DTypeError);
  });
});
