import { DTypeError, ShapeError, ValueError, tensor, zeros } from '@heed/tensor';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { additiveMask, causalMask, checkMask, combineMasks, normalizeMask, paddingMask } from './index.js';

const flatBools = (values: ArrayLike<number>): boolean[] => Array.from(values, (value) => value !== 0);

describe('causalMask', () => {
  it('is bottom-right aligned for every L and S', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 9 }), fc.integer({ min: 0, max: 9 }), (queries, keys) => {
        const mask = causalMask(queries, keys);
        expect(mask.shape).toEqual([queries, keys]);
        const want: boolean[] = [];
        for (let i = 0; i < queries; i++) for (let j = 0; j < keys; j++) want.push(j <= i + keys - queries);
        expect(flatBools(mask.dataSync())).toEqual(want);
      }),
      { numRuns: 40 },
    );
  });

  it('rejects negative or fractional lengths', () => {
    expect(() => causalMask(-1)).toThrow(ValueError);
    expect(() => causalMask(2, 1.5)).toThrow(/keyLength/);
  });
});

describe('paddingMask', () => {
  it('keeps the first `length` keys of each sequence, shaped [B, 1, 1, S]', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 6 }), { minLength: 1, maxLength: 4 }), (lengths) => {
        const keys = 6;
        const mask = paddingMask(lengths, keys);
        expect(mask.shape).toEqual([lengths.length, 1, 1, keys]);
        expect(flatBools(mask.dataSync())).toEqual(lengths.flatMap((length) => Array.from({ length: keys }, (_, j) => j < length)));
      }),
      { numRuns: 30 },
    );
  });

  it('accepts lengths as a tensor, and a bool keep mask [B, S]', () => {
    expect(paddingMask(tensor([1, 2], { dtype: 'int32' })).toArray()).toEqual([[[[true, false]]], [[[true, true]]]]);
    const keep = tensor([[true, false, true]]);
    expect(paddingMask(keep).shape).toEqual([1, 1, 1, 3]);
    expect(() => paddingMask(keep, 4)).toThrow(ShapeError);
    expect(() => paddingMask([3], 2)).toThrow(/length 3 of sequence 0/);
  });
});

describe('combineMasks and additiveMask', () => {
  it('ands bool masks with broadcasting', () => {
    const combined = combineMasks(causalMask(3), paddingMask([2, 3], 3), null)!;
    expect(combined.shape).toEqual([2, 1, 3, 3]);
    expect(combined.toArray()).toEqual([
      [[[true, false, false], [true, true, false], [true, true, false]]],
      [[[true, false, false], [true, true, false], [true, true, true]]],
    ]);
    expect(combineMasks()).toBeNull();
  });

  it('sums when any mask is additive, turning bool masks into 0 / -Infinity', () => {
    const combined = combineMasks(tensor([[true, false]]), tensor([[0.5, 1]]))!;
    expect(combined.dtype).toBe('float32');
    expect(combined.toArray()).toEqual([[0.5, -Infinity]]);
    expect(additiveMask(tensor([false, true])).toArray()).toEqual([-Infinity, 0]);
    expect(() => combineMasks(zeros([2], { dtype: 'int32' }))).toThrow(DTypeError);
  });
});

describe('normalizeMask', () => {
  it('returns a keep view and a finite bias for an additive mask', () => {
    const { keep, bias } = normalizeMask('test', tensor([[0, -Infinity], [1.5, 2]]), [2, 3, 2, 2], { causal: true });
    expect(keep!.shape).toEqual([2, 3, 2, 2]);
    expect(keep!.slice(0, 0, 1).slice(1, 0, 1).reshape([2, 2]).toArray()).toEqual([[true, false], [true, true]]);
    expect(bias!.slice(0, 0, 1).slice(1, 0, 1).reshape([2, 2]).toArray()).toEqual([[0, 0], [1.5, 2]]);
  });

  it('keeps broadcast sizes without `broadcast`', () => {
    const { keep, bias } = normalizeMask('test', paddingMask([1, 2], 2), [2, 4, 3, 2], { broadcast: false });
    expect(keep!.shape).toEqual([2, 1, 1, 2]);
    expect(bias).toBeNull();
    expect(normalizeMask('test', null, [1, 2])).toEqual({ keep: null, bias: null });
  });

  it('accepts every shape that broadcasts and rejects every one that does not', () => {
    const target = [2, 3, 4, 5];
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 0, maxLength: 5 }), (shape) => {
        const fits = shape.length <= 4 && shape.every((size, index) => size === 1 || size === target[4 - shape.length + index]);
        const mask = zeros(shape, { dtype: 'bool' });
        if (fits) expect(normalizeMask('op', mask, target).keep!.shape).toEqual(target);
        else expect(() => normalizeMask('op', mask, target, { argument: 'attnMask', pattern: '[B, H, L, S]' })).toThrow(/argument attnMask: expected shape broadcastable to \[B, H, L, S\] = \[2, 3, 4, 5\]/);
      }),
      { numRuns: 60 },
    );
    expect(() => checkMask('op', zeros([3], { dtype: 'int32' }), [3, 3])).toThrow(DTypeError);
  });
});
