import { describe, expect, it } from 'vitest';
import { HeedError, ShapeError, ValueError } from './errors.js';
import { broadcastShapes, broadcastStrides, contiguousStrides, inferShape, normalizeAxis, sizeOf } from './shape.js';

describe('shape helpers', () => {
  it('broadcasts like NumPy', () => {
    expect(broadcastShapes('add', [2, 1, 4], [3, 1])).toEqual([2, 3, 4]);
    expect(broadcastShapes('add', [], [5])).toEqual([5]);
    expect(broadcastShapes('add', [0, 1], [1, 3])).toEqual([0, 3]);
  });

  it('names the op and both shapes when shapes cannot broadcast', () => {
    expect(() => broadcastShapes('add', [2, 3], [4])).toThrow(ShapeError);
    expect(() => broadcastShapes('mul', [2, 3], [4])).toThrow('heed.mul: argument operands: expected shape broadcastable with [2, 3], got [4]');
  });

  it('gives stride 0 on broadcast axes', () => {
    expect(broadcastStrides([3, 1], [1, 1], [2, 3, 4])).toEqual([0, 1, 0]);
    expect(contiguousStrides([2, 3, 4])).toEqual([12, 4, 1]);
    expect(sizeOf([])).toBe(1);
    expect(sizeOf([2, 0])).toBe(0);
  });

  it('infers one -1 and rejects impossible reshapes', () => {
    expect(inferShape('reshape', [2, -1], 6)).toEqual([2, 3]);
    expect(() => inferShape('reshape', [4, -1], 6)).toThrow(ShapeError);
    expect(() => inferShape('reshape', [-1, -1], 6)).toThrow(ValueError);
    expect(() => inferShape('reshape', [5], 6)).toThrow(/cannot reshape to \[5\]/);
  });

  it('normalises negative axes and rejects out-of-range ones', () => {
    expect(normalizeAxis('sum', -1, 3)).toBe(2);
    expect(() => normalizeAxis('sum', 3, 3)).toThrow(ValueError);
    expect(() => normalizeAxis('sum', 1.5, 3)).toThrow(/axis 1.5 is out of range/);
  });

  it('marks every heed error so it is recognised across copies', () => {
    const error = new ShapeError('matmul', 'b', '[3, N]', [4, 5]);
    expect(HeedError.isInstance(error)).toBe(true);
    expect(HeedError.isInstance(new Error('x'))).toBe(false);
    expect(error.message).toBe('heed.matmul: argument b: expected shape [3, N], got [4, 5]');
    expect(error.op).toBe('matmul');
    expect(error.received).toEqual([4, 5]);
  });
});
