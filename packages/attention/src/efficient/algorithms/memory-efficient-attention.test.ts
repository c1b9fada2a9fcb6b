import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BackendError, DTypeError, Generator, ShapeError, getBackend, logicalAnd, randn, tensor, where, withBackend, type Backend, type Tensor } from '@heed/tensor';
import { assertAllclose, gradcheck } from '@heed/tensor/testing';
import { scaledDotProductAttention } from '../../scaled-dot-product-attention.js';
import { memoryEfficientAttention, slidingWindowPattern, sparseAttention } from '../index.js';
import { backendWithoutFusedKernels, denseAttention, expectSameAttention, leaves, positionMask, randomMask } from '../reference.test-helper.js';

const paths: [string, () => Backend][] = [
  ['fused kernel', () => getBackend()],
  ['composed fallback', backendWithoutFusedKernels],
];

/** Mask shapes broadcastable to [B, H, L, S], including ones the fused path must split per batch. */
function maskShape(kind: number, batch: number, heads: number, queryLength: number, keyLength: number): number[] | null {
  return [null, [batch, 1, 1, keyLength], [batch, heads, queryLength, keyLength], [batch, 1, queryLength, keyLength], [queryLength, keyLength], [1, heads, 1, keyLength]][kind];
}

describe.each(paths)('memoryEfficientAttention (%s) equals full attention', (_, makeBackend) => {
  it('over random shapes, masks, causal and windows, forward and gradients', () => {
    const backend = makeBackend();
    fc.assert(
      fc.property(
        fc.record({
          batch: fc.integer({ min: 1, max: 2 }),
          heads: fc.integer({ min: 1, max: 3 }),
          queryLength: fc.integer({ min: 1, max: 11 }),
          keyLength: fc.integer({ min: 1, max: 11 }),
          depth: fc.integer({ min: 1, max: 5 }),
          valueDepth: fc.integer({ min: 1, max: 4 }),
          causal: fc.boolean(),
          window: fc.option(fc.tuple(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 4 }))),
          maskKind: fc.integer({ min: 0, max: 5 }),
          blockSize: fc.integer({ min: 1, max: 5 }),
          seed: fc.nat(1000),
        }),
        (c) =>
          withBackend(backend, () => {
            const generator = new Generator(c.seed);
            const inputs = leaves(generator, [c.batch, c.heads, c.queryLength, c.depth], [c.batch, c.heads, c.keyLength, c.depth], [c.batch, c.heads, c.keyLength, c.valueDepth]);
            const shape = maskShape(c.maskKind, c.batch, c.heads, c.queryLength, c.keyLength);
            const mask = shape ? randomMask(generator, shape) : null;
            const positions = positionMask(c.queryLength, c.keyLength, c.causal, c.window);
            const keep = mask ? logicalAnd(mask, positions) : positions;
            const options = { mask, causal: c.causal, window: c.window, blockSize: c.blockSize };
            expectSameAttention((q, k, v) => memoryEfficientAttention(q, k, v, options), (q, k, v) => denseAttention(q, k, v, keep), inputs);
          }),
      ),
      { numRuns: 50 },
    );
  });

  it('returns the per-row log-sum-exp (-Infinity for rows with no key)', () => {
    withBackend(makeBackend(), () => {
      const [query, key, value] = leaves(new Generator(2), [2, 7, 3], [2, 4, 3], [2, 4, 5]);
      const { output, logSumExp } = memoryEfficientAttention(query, key, value, { causal: true, returnLogSumExp: true, scale: 0.7 });
      const scores = where(positionMask(7, 4, true), query.matmul(key.transpose(-2, -1)).mul(0.7), -Infinity);
      assertAllclose(logSumExp, scores.logSumExp(-1), { abs: 1e-5, rel: 1e-5 });
      expect(Array.from(logSumExp.dataSync().slice(0, 3))).toEqual([-Infinity, -Infinity, -Infinity]);
      assertAllclose(output, denseAttention(query, key, value, positionMask(7, 4, true), 0.7));
    });
  });

  it('passes a finite-difference gradient check', () => {
    withBackend(makeBackend(), () => {
      const generator = new Generator(5);
      const inputs = [randn([1, 2, 5, 3], { generator }), randn([1, 2, 6, 3], { generator }), randn([1, 2, 6, 2], { generator })];
      const mask = randomMask(generator, [1, 1, 5, 6], 0.8);
      const result = gradcheck((q, k, v) => memoryEfficientAttention(q, k, v, { mask, causal: true, window: 3 }), inputs);
      expect(result.ok, result.message).toBe(true);
    });
  });

  it('handles non-contiguous inputs (heads split from [B, L, H, D])', () => {
    withBackend(makeBackend(), () => {
      const generator = new Generator(8);
      const [query, key, value] = leaves(generator, [2, 6, 3, 4], [2, 5, 3, 4], [2, 5, 3, 4]);
      const heads = (x: Tensor): Tensor => x.transpose(1, 2);
      expectSameAttention(
        (q, k, v) => memoryEfficientAttention(heads(q), heads(k), heads(v), { causal: true }),
        (q, k, v) => denseAttention(heads(q), heads(k), heads(v), positionMask(6, 5, true)),
        [query, key, value],
      );
    });
  });
});

describe('memoryEfficientAttention and sparseAttention against the core scaledDotProductAttention', () => {
  it('match it with the same bool mask and causal rule (including L > S)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 9 }), fc.boolean(), fc.nat(1000), (queryLength, keyLength, causal, seed) => {
        const generator = new Generator(seed);
        const inputs = leaves(generator, [2, 2, queryLength, 4], [2, 2, keyLength, 4], [2, 2, keyLength, 3]);
        const mask = randomMask(generator, [2, 1, 1, keyLength]);
        const pattern = slidingWindowPattern({ window: 3 });
        const local = logicalAnd(mask, pattern.denseMask(queryLength, keyLength));
        expectSameAttention((q, k, v) => memoryEfficientAttention(q, k, v, { mask, causal }), (q, k, v) => scaledDotProductAttention(q, k, v, { mask, causal }), inputs);
        expectSameAttention((q, k, v) => sparseAttention(q, k, v, { pattern, mask, causal }), (q, k, v) => scaledDotProductAttention(q, k, v, { mask: local, causal }), inputs);
      }),
      { numRuns: 25 },
    );
  });
});

describe('memoryEfficientAttention details', () => {
  it('gives the composed path’s second-order gradients through the fused kernel', () => {
    const secondOrder = (implementation: 'fused' | 'composed'): Tensor[] => {
      const [query, key, value] = leaves(new Generator(1), [1, 4, 2], [1, 4, 2], [1, 4, 2]);
      memoryEfficientAttention(query, key, value, { causal: true, implementation }).square().sum().backward({ createGraph: true });
      const penalty = query.grad!.square().sum();
      for (const input of [query, key, value]) input.zeroGrad();
      penalty.backward();
      return [query.grad!, key.grad!, value.grad!];
    };
    const [fused, composed] = [secondOrder('fused'), secondOrder('composed')];
    fused.forEach((gradient, index) => assertAllclose(gradient, composed[index].dataSync(), { abs: 1e-5, rel: 1e-4 }));
  });

  it('raises HeedErrors naming the argument', () => {
    const generator = new Generator(1);
    const [query, key, value] = [randn([1, 2, 4, 3], { generator }), randn([1, 2, 5, 3], { generator }), randn([1, 2, 5, 2], { generator })];
    expect(() => memoryEfficientAttention(query, key, value, { window: 0 })).toThrow(/argument window: a window reach must be a whole number >= 1/);
    expect(() => memoryEfficientAttention(query, key, value, { window: [2, -1] })).toThrow(/argument window/);
    expect(() => memoryEfficientAttention(query, key, value, { mask: randn([4, 5]) })).toThrow(DTypeError);
    expect(() => memoryEfficientAttention(query, key, value, { mask: tensor([[true, false]]) })).toThrow(/argument mask: expected shape broadcastable to \[\.\.\., L, S\] = \[1, 2, 4, 5\], got \[1, 2\]/);
    expect(() => memoryEfficientAttention(query, randn([1, 2, 5, 4]), value)).toThrow(/argument key: expected shape \[1, 2, S, 3\], got \[1, 2, 5, 4\]/);
    expect(() => memoryEfficientAttention(query, key, randn([1, 3, 5, 2]))).toThrow(ShapeError);
    expect(() => memoryEfficientAttention(query, key, value, { blockSize: 0 })).toThrow(/argument blockSize/);
  });

  it('chooses its implementation: composed on request, fused only where the backend has the kernel', () => {
    const generator = new Generator(12);
    const [query, key, value] = leaves(generator, [2, 2, 9, 4], [2, 2, 9, 4], [2, 2, 9, 3]);
    const mask = randomMask(generator, [2, 1, 9, 9]);
    expectSameAttention(
      (q, k, v) => memoryEfficientAttention(q, k, v, { mask, causal: true, implementation: 'composed', blockSize: 4 }),
      (q, k, v) => memoryEfficientAttention(q, k, v, { mask, causal: true, implementation: 'fused' }),
      [query, key, value],
    );
    withBackend(backendWithoutFusedKernels(), () => {
      const [q, k, v] = [randn([1, 3, 2]), randn([1, 3, 2]), randn([1, 3, 2])];
      expect(() => memoryEfficientAttention(q, k, v, { implementation: 'fused' })).toThrow(BackendError);
      expect(() => memoryEfficientAttention(q, k, v, { implementation: 'fast' as never })).toThrow(/argument implementation/);
    });
  });

  it('gives zeros for empty key sets', () => {
    const output = memoryEfficientAttention(randn([1, 3, 2]), randn([1, 0, 2]), randn([1, 0, 4]));
    expect(output.shape).toEqual([1, 3, 4]);
    expect(Array.from(output.dataSync())).toEqual(new Array(12).fill(0));
  });
});
