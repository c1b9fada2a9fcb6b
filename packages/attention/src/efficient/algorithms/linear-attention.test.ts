import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Tensor} from '@heed/tensor';
import { DTypeError, Generator, ShapeError, elu, randn, tensor, where } from '@heed/tensor';
import { gradcheck } from '@heed/tensor/testing';
import { paddingMask } from '../../masks.js';
import { linearAttention, type FeatureMap } from '../index.js';
import { expectSameAttention, leaves, positionMask } from '../reference.test-helper.js';

/**
 * The kernelised formula written out over the full `L × S` matrix: `A = φ(Q) φ(K)ᵀ` with masked
 * pairs set to 0, `out = A V / (A 1 + eps)`. (Linear attention approximates softmax attention;
 * this is what it must equal.)
 */
function explicitLinear(query: Tensor, key: Tensor, value: Tensor, keep: Tensor | null, map: (x: Tensor) => Tensor, eps = 1e-6): Tensor {
  const kernel = map(query).matmul(map(key).transpose(-2, -1));
  const masked = keep ? where(keep, kernel, 0) : kernel;
  return masked.matmul(value).div(masked.sum(-1, true).add(eps));
}

const eluPlusOne = (x: Tensor): Tensor => elu(x).add(1);

describe('linearAttention equals the explicit kernelised formula', () => {
  it('non-causal and causal (bottom-right), with key masks and chunk sizes that do not divide L', () => {
    fc.assert(
      fc.property(
        fc.record({
          batch: fc.integer({ min: 1, max: 2 }),
          heads: fc.integer({ min: 1, max: 2 }),
          queryLength: fc.integer({ min: 1, max: 14 }),
          keyLength: fc.integer({ min: 1, max: 14 }),
          depth: fc.integer({ min: 1, max: 4 }),
          valueDepth: fc.integer({ min: 1, max: 3 }),
          causal: fc.boolean(),
          padded: fc.boolean(),
          chunkSize: fc.integer({ min: 1, max: 6 }),
          seed: fc.nat(1000),
        }),
        (c) => {
          const generator = new Generator(c.seed);
          const inputs = leaves(generator, [c.batch, c.heads, c.queryLength, c.depth], [c.batch, c.heads, c.keyLength, c.depth], [c.batch, c.heads, c.keyLength, c.valueDepth]);
          const lengths = Array.from({ length: c.batch }, () => Math.floor(generator.nextFloat() * (c.keyLength + 1)));
          const mask = c.padded ? paddingMask(lengths, c.keyLength) : null;
          const positions = c.causal ? positionMask(c.queryLength, c.keyLength, true) : null;
          const keep = mask && positions ? mask.logicalAnd(positions) : (mask ?? positions);
          expectSameAttention(
            (q, k, v) => linearAttention(q, k, v, { causal: c.causal, mask, chunkSize: c.chunkSize }),
            (q, k, v) => explicitLinear(q, k, v, keep, eluPlusOne),
            inputs,
            { abs: 1e-5, rel: 1e-4 },
          );
        },
      ),
      { numRuns: 60 },
    );
  });

  it('takes a custom feature map with another feature dim', () => {
    const generator = new Generator(4);
    const projection = randn([3, 5], { generator });
    const map: FeatureMap = (x) => x.matmul(projection).relu().add(0.1);
    expectSameAttention(
      (q, k, v) => linearAttention(q, k, v, { featureMap: map, causal: true, chunkSize: 3 }),
      (q, k, v) => explicitLinear(q, k, v, positionMask(7, 7, true), map),
      leaves(generator, [2, 7, 3], [2, 7, 3], [2, 7, 2]),
    );
  });

  it('passes a finite-difference gradient check in both forms', () => {
    const generator = new Generator(6);
    const inputs = [randn([1, 2, 7, 3], { generator }), randn([1, 2, 9, 3], { generator }), randn([1, 2, 9, 2], { generator })];
    for (const causal of [false, true]) {
      const result = gradcheck((q, k, v) => linearAttention(q, k, v, { causal, chunkSize: 4 }), inputs);
      expect(result.ok, result.message).toBe(true);
    }
  });

  it('is not softmax attention (it approximates it)', () => {
    const [query, key, value] = leaves(new Generator(1), [6, 4], [6, 4], [6, 3]);
    const softmax = query.matmul(key.transpose(-2, -1)).mul(0.5).softmax(-1).matmul(value);
    const difference = linearAttention(query, key, value).sub(softmax).abs().max().item();
    expect(difference).toBeGreaterThan(1e-3);
  });

  it('gives zero output to queries that see no key', () => {
    const [query, key, value] = leaves(new Generator(2), [5, 2], [3, 2], [3, 2]);
    const output = linearAttention(query, key, value, { causal: true });
    expect(Array.from(output.dataSync().slice(0, 4))).toEqual([0, 0, 0, 0]);
    output.sum().backward();
    expect(query.grad!.dataSync().every(Number.isFinite)).toBe(true);
  });
});

describe('linearAttention errors', () => {
  const [query, key, value] = [randn([2, 5, 3]), randn([2, 6, 3]), randn([2, 6, 2])];

  it('accepts only key masks, bool', () => {
    expect(() => linearAttention(query, key, value, { mask: positionMask(5, 6, true) })).toThrow(/argument mask: expected shape broadcastable to \[\.\.\., 1, S\] \(a key mask\)/);
    expect(() => linearAttention(query, key, value, { mask: randn([2, 1, 6]) })).toThrow(DTypeError);
  });

  it('checks shapes, the feature map, eps and the chunk size', () => {
    expect(() => linearAttention(query, randn([2, 6, 4]), value)).toThrow(ShapeError);
    expect(() => linearAttention(query, key, value, { featureMap: (x) => x.sum(-1) })).toThrow(/argument featureMap/);
    expect(() => linearAttention(query, key, value, { featureMap: 'relu' as never })).toThrow(/argument featureMap/);
    expect(() => linearAttention(query, key, value, { eps: -1 })).toThrow(/argument eps/);
    expect(() => linearAttention(query, key, value, { causal: true, chunkSize: 0 })).toThrow(/argument chunkSize/);
    expect(() => linearAttention(query, key, value, { mask: tensor([true]) })).not.toThrow();
  });
});
