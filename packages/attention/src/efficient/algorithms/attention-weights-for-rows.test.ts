import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Generator, Tensor, indexSelect, logicalAnd, randn, where } from '@heed/tensor';
import { assertAllclose } from '@heed/tensor/testing';
import { attentionWeightsForRows, memoryEfficientAttention } from '../index.js';
import { leaves, positionMask, randomMask } from '../reference.test-helper.js';

/** Full weights `[..., L, S]` the L × S way. */
function denseWeights(query: Tensor, key: Tensor, keep: Tensor, scale = 1 / Math.sqrt(query.shape[query.rank - 1])): Tensor {
  return where(keep, query.matmul(key.transpose(-2, -1)).mul(scale), -Infinity).softmax(-1);
}

describe('attentionWeightsForRows', () => {
  it('gives the rows of the full weight matrix, with or without the saved log-sum-exp', () => {
    fc.assert(
      fc.property(
        fc.record({
          heads: fc.integer({ min: 1, max: 3 }),
          queryLength: fc.integer({ min: 1, max: 10 }),
          keyLength: fc.integer({ min: 1, max: 10 }),
          causal: fc.boolean(),
          window: fc.option(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 }))),
          masked: fc.boolean(),
          seed: fc.nat(1000),
        }),
        (c) => {
          const generator = new Generator(c.seed);
          const [query, key, value] = leaves(generator, [2, c.heads, c.queryLength, 3], [2, c.heads, c.keyLength, 3], [2, c.heads, c.keyLength, 2]);
          const mask = c.masked ? randomMask(generator, [2, 1, c.queryLength, c.keyLength]) : null;
          const positions = positionMask(c.queryLength, c.keyLength, c.causal, c.window);
          const keep = mask ? logicalAnd(mask, positions) : positions;
          const rows = Array.from({ length: 3 }, () => Math.floor(generator.nextFloat() * c.queryLength));
          const options = { mask, causal: c.causal, window: c.window };
          const { logSumExp } = memoryEfficientAttention(query, key, value, { ...options, returnLogSumExp: true });
          const full = denseWeights(query, key, keep);
          const want = pick(full, rows);
          assertAllclose(attentionWeightsForRows(query, key, { rows, ...options }), want, { abs: 1e-6, rel: 1e-5 });
          assertAllclose(attentionWeightsForRows(query, key, { rows, ...options, logSumExp }), want, { abs: 1e-6, rel: 1e-5 });
        },
      ),
      { numRuns: 40 },
    );
  });

  it('is differentiable without a log-sum-exp, like the full weights', () => {
    const generator = new Generator(3);
    const [query, key] = leaves(generator, [2, 5, 3], [2, 6, 3]);
    const seed = randn([2, 2, 6], { generator });
    attentionWeightsForRows(query, key, { rows: [4, 1], causal: true }).mul(seed).sum().backward();
    const [queryGrad, keyGrad] = [query.grad!, key.grad!];
    const [query2, key2] = [query.detach().requiresGrad_(), key.detach().requiresGrad_()];
    pick(denseWeights(query2, key2, positionMask(5, 6, true)), [4, 1]).mul(seed).sum().backward();
    assertAllclose(queryGrad, query2.grad!, { abs: 1e-6, rel: 1e-5 });
    assertAllclose(keyGrad, key2.grad!, { abs: 1e-6, rel: 1e-5 });
  });

  it('gives all-zero rows where no key is allowed', () => {
    const [query, key] = leaves(new Generator(2), [1, 5, 2], [1, 3, 2]);
    const weights = attentionWeightsForRows(query, key, { rows: [0, 4], causal: true });
    expect(weights.toArray()).toEqual([[[0, 0, 0], expect.any(Array)]]);
    expect((weights.toArray() as number[][][])[0][1].reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
  });

  it('raises HeedErrors for rows outside L and a mis-shaped log-sum-exp', () => {
    const [query, key] = [randn([2, 4, 3]), randn([2, 5, 3])];
    expect(() => attentionWeightsForRows(query, key, { rows: [4] })).toThrow(/argument rows: row 4 \(rows\[0\]\) is outside the 4 queries/);
    expect(() => attentionWeightsForRows(query, key, { rows: [1.5] })).toThrow(/argument rows/);
    expect(() => attentionWeightsForRows(query, key, { rows: [0], logSumExp: randn([2, 5]) })).toThrow(/argument logSumExp: expected shape \[2, 4\]/);
    expect(() => attentionWeightsForRows(query, randn([2, 5, 2]), { rows: [0] })).toThrow(/argument key/);
  });
});

/** Rows `rows` of `[..., L, S]` weights. */
function pick(weights: Tensor, rows: number[]): Tensor {
  return indexSelect(weights, weights.rank - 2, Tensor.fromData(Int32Array.from(rows), [rows.length], 'int32', weights.backend));
}
