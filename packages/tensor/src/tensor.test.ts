import { describe, expect, it } from 'vitest';
import { BackendError, GradientError, ShapeError, type Backend, type DataArray } from './index.js';
import { arange, cpuBackend, eye, full, linspace, ones, tensor, zeros } from './index.js';

describe('Tensor', () => {
  it('creates tensors from nested arrays, typed arrays and shapes', () => {
    const x = tensor([[1, 2, 3], [4, 5, 6]]);
    expect(x.shape).toEqual([2, 3]);
    expect(x.dtype).toBe('float32');
    expect(tensor([true, false]).dtype).toBe('bool');
    expect(tensor(new Int32Array([1, 2, 3, 4]), { shape: [2, 2] }).dtype).toBe('int32');
    expect(zeros([2, 2]).toArray()).toEqual([[0, 0], [0, 0]]);
    expect(full([2], 7).toArray()).toEqual([7, 7]);
    expect(arange(4).toArray()).toEqual([0, 1, 2, 3]);
    expect(arange(1, 2, 0.25).toArray()).toEqual([1, 1.25, 1.5, 1.75]);
    expect(linspace(0, 1, 3).toArray()).toEqual([0, 0.5, 1]);
    expect(eye(2).toArray()).toEqual([[1, 0], [0, 1]]);
    expect(tensor(3).shape).toEqual([]);
    expect(tensor(3).item()).toBe(3);
  });

  it('rejects ragged nested arrays and data that does not fit the shape', () => {
    expect(() => tensor([[1, 2], [3]])).toThrow(ShapeError);
    expect(() => tensor([1, 2, 3], { shape: [2, 2] })).toThrow(/4 elements/);
  });

  it('returns views that share storage for transpose, slice, expand and reshape', () => {
    const x = arange(6).reshape([2, 3]);
    const t = x.transpose(0, 1);
    expect(t.view.handle).toBe(x.view.handle);
    expect(t.toArray()).toEqual([[0, 3], [1, 4], [2, 5]]);
    const s = x.slice(1, 1, 3);
    expect(s.view.handle).toBe(x.view.handle);
    expect(s.toArray()).toEqual([[1, 2], [4, 5]]);
    expect(x.slice(1, -1).toArray()).toEqual([[2], [5]]);
    expect(x.slice(1, 0, 3, 2).toArray()).toEqual([[0, 2], [3, 5]]);
    const e = tensor([[1], [2]]).expand([2, 3]);
    expect(e.strides).toEqual([1, 0]);
    expect(e.toArray()).toEqual([[1, 1, 1], [2, 2, 2]]);
    // reshape of a non-contiguous view copies, and the result is still right
    expect(t.reshape([6]).toArray()).toEqual([0, 3, 1, 4, 2, 5]);
  });

  it('reads back synchronously and asynchronously', async () => {
    const x = tensor([[1, 2], [3, 4]]).transpose(0, 1);
    expect(Array.from(x.dataSync())).toEqual([1, 3, 2, 4]);
    expect(Array.from(await x.data())).toEqual([1, 3, 2, 4]);
    expect(await x.array()).toEqual([[1, 3], [2, 4]]);
    // a contiguous view that starts past element 0 (rows 1… of a matrix, a tail of a vector)
    const rows = arange(6).reshape([3, 2]).slice(0, 1);
    expect(rows.isContiguous).toBe(true);
    expect(Array.from(rows.dataSync())).toEqual([2, 3, 4, 5]);
    expect(Array.from(await rows.data())).toEqual([2, 3, 4, 5]);
    expect(arange(10).slice(0, 6).reshape([2, 2]).toArray()).toEqual([[6, 7], [8, 9]]);
  });

  it('prints like PyTorch, abbreviating large tensors', () => {
    expect(tensor([[1, 2], [3, 4]]).toString()).toBe('tensor([[1.0000, 2.0000],\n        [3.0000, 4.0000]], shape=[2, 2], dtype=float32)');
    const big = arange(5000).toString();
    expect(big).toContain('...');
    expect(big.length).toBeLessThan(200);
    expect(tensor([1], { requiresGrad: true }).toString()).toContain('requires_grad=true');
  });

  it('never mutates its inputs', () => {
    const data = new Float32Array([1, 2, 3]);
    const x = tensor(data);
    const y = x.add(1).mul(2).neg().exp();
    expect(Array.from(x.dataSync())).toEqual([1, 2, 3]);
    expect(y.view.handle).not.toBe(x.view.handle);
  });

  it('assigns in place only to leaves, keeping identity', () => {
    const parameter = zeros([2]).requiresGrad_();
    const before = parameter;
    parameter.assign(tensor([5, 6]));
    expect(before.toArray()).toEqual([5, 6]);
    expect(() => parameter.mul(2).assign(tensor([1, 1]))).toThrow(GradientError);
    expect(() => parameter.assign(tensor([1, 2, 3]))).toThrow(ShapeError);
  });

  it('refuses requiresGrad on integer tensors', () => {
    expect(() => tensor([1, 2], { dtype: 'int32', requiresGrad: true })).toThrow(GradientError);
  });

  it('says to await data() on a backend without synchronous reads', async () => {
    const cpu = cpuBackend();
    const asyncOnly: Backend<DataArray> = { ...cpu, name: 'async-test', readSync: undefined };
    const x = ones([2], { backend: asyncOnly });
    expect(() => x.dataSync()).toThrow(BackendError);
    expect(() => x.dataSync()).toThrow(/await tensor.data\(\)/);
    expect(Array.from(await x.add(1).data())).toEqual([2, 2]);
    expect(x.toString()).toContain('read with await tensor.data()');
  });

  it('refuses to mix tensors of two backends', () => {
    const other: Backend<DataArray> = { ...cpuBackend(), name: 'other' };
    expect(() => ones([2]).add(ones([2], { backend: other }))).toThrow(/different backends/);
    expect(ones([2]).to(other).add(ones([2], { backend: other })).toArray()).toEqual([2, 2]);
  });
});
