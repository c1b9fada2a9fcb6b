import { describe, expect, it } from 'vitest';
import type { DataArray, View } from '../backend.js';
import { readView } from './strided.js';

/** Element (i, j, k) of a rank-3 view, by its strides. */
const at = (view: View<DataArray>, i: number, j: number, k: number) => view.handle[view.offset + i * view.strides[0] + j * view.strides[1] + k * view.strides[2]];
const naive = (view: View<DataArray>) => {
  const [a, b, c] = view.shape as [number, number, number];
  const out: number[] = [];
  for (let i = 0; i < a; i++) for (let j = 0; j < b; j++) for (let k = 0; k < c; k++) out.push(at(view, i, j, k));
  return out;
};

describe('readView', () => {
  const storage = Float32Array.from({ length: 2 * 5 * 96 }, (_, index) => index * 0.5 - 7);
  it('copies a slice along the last axis (rows contiguous) row by row', () => {
    // The middle third of a [2, 5, 96] fused projection: [2, 5, 32] at offset 32.
    const view: View<DataArray> = { handle: storage, dtype: 'float32', shape: [2, 5, 32], strides: [480, 96, 1], offset: 32 };
    const out = readView(view);
    expect(out).toBeInstanceOf(Float32Array);
    expect([...out]).toEqual(naive(view));
  });

  it('copies rows in a permuted order of the outer axes', () => {
    const view: View<DataArray> = { handle: storage, dtype: 'float32', shape: [5, 2, 20], strides: [96, 480, 1], offset: 3 };
    expect([...readView(view)]).toEqual(naive(view));
  });

  it('still converts dtypes and reads short rows element by element', () => {
    const view: View<DataArray> = { handle: storage, dtype: 'float32', shape: [2, 5, 4], strides: [480, 96, 1], offset: 1 };
    expect([...readView(view)]).toEqual(naive(view));
    const asInt = readView({ ...view, shape: [2, 5, 32] }, 'int32');
    expect(asInt).toBeInstanceOf(Int32Array);
    expect([...asInt]).toEqual(naive({ ...view, shape: [2, 5, 32] }).map((value) => value | 0));
  });
});
