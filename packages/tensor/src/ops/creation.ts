import type { Backend, DType, DataArray } from '../backend.js';
import { getBackend } from '../backend-registry.js';
import { ShapeError, ValueError } from '../errors.js';
import { checkShape, sizeOf, type Shape } from '../shape.js';
import { Tensor, type NestedArray } from '../tensor.js';
import { runKernel } from './kernel.js';

/** Options shared by the creation functions. */
export interface CreationOptions {
  /** Element type (default float32). */
  dtype?: DType;
  /** Make the result a leaf that requires grad. */
  requiresGrad?: boolean;
  /** Backend to create the tensor on (default: the current backend). */
  backend?: Backend;
}

function finish(tensor: Tensor, options: CreationOptions): Tensor {
  if (options.requiresGrad) tensor.requiresGrad = true;
  return tensor;
}

function hostArray(dtype: DType, values: ArrayLike<number>): DataArray {
  if (dtype === 'float32') return Float32Array.from(values);
  if (dtype === 'int32') return Int32Array.from(values);
  return Uint8Array.from(values, (value) => (value ? 1 : 0));
}

/**
 * Creates a tensor from nested arrays, a flat typed array plus `shape`, or a number.
 *
 * @example
 * ```ts
 * const x = tensor([[1, 2, 3], [4, 5, 6]]);           // float32 [2, 3]
 * const mask = tensor([true, false, true]);            // bool [3]
 * const y = tensor(new Float32Array(6), { shape: [3, 2] });
 * ```
 */
export function tensor(
  data: NestedArray | ArrayLike<number>,
  options: CreationOptions & { shape?: Shape } = {},
): Tensor {
  let shape: number[];
  let flat: number[] | ArrayLike<number>;
  let inferredBool = false;
  if (ArrayBuffer.isView(data)) {
    flat = data as unknown as ArrayLike<number>;
    shape = options.shape ? [...options.shape] : [flat.length];
  } else {
    shape = [];
    const values: number[] = [];
    const walk = (value: NestedArray, axis: number): void => {
      if (Array.isArray(value)) {
        if (axis === shape.length) shape.push(value.length);
        else if (shape[axis] !== value.length) {
          throw new ShapeError('tensor', 'data', `a rectangular nested array (length ${shape[axis]} at depth ${axis})`, [value.length]);
        }
        for (const item of value as readonly NestedArray[]) walk(item, axis + 1);
        return;
      }
      if (axis !== shape.length) throw new ShapeError('tensor', 'data', 'a rectangular nested array', shape);
      if (typeof value === 'boolean') inferredBool = true;
      values.push(Number(value));
    };
    walk(data as NestedArray, 0);
    flat = values;
    if (options.shape) shape = [...options.shape];
  }
  checkShape('tensor', shape);
  if (sizeOf(shape) !== flat.length) {
    throw new ShapeError('tensor', 'data', `${sizeOf(shape)} elements`, [flat.length]);
  }
  const dtype = options.dtype ?? (inferredBool ? 'bool' : ArrayBuffer.isView(data) && data instanceof Int32Array ? 'int32' : data instanceof Uint8Array ? 'bool' : 'float32');
  return finish(Tensor.fromData(hostArray(dtype, flat), shape, dtype, options.backend ?? getBackend()), options);
}

/**
 * A tensor of `shape` filled with `value`.
 *
 * @example
 * ```ts
 * full([2, 2], 7).toArray(); // [[7, 7], [7, 7]]
 * ```
 */
export function full(shape: Shape, value: number, options: CreationOptions = {}): Tensor {
  checkShape('full', shape);
  const backend = options.backend ?? getBackend();
  const dtype = options.dtype ?? 'float32';
  return finish(runKernel(backend, 'fill', { shape, dtype, value }, shape, dtype), options);
}

/** Zeros of `shape`. @example `zeros([2, 3])` */
export function zeros(shape: Shape, options: CreationOptions = {}): Tensor {
  return full(shape, 0, options);
}

/** Ones of `shape`. @example `ones([2, 3])` */
export function ones(shape: Shape, options: CreationOptions = {}): Tensor {
  return full(shape, 1, options);
}

/** Zeros with `like`'s shape, backend and dtype. @example `zerosLike(x)` */
export function zerosLike(like: Tensor, options: CreationOptions = {}): Tensor {
  return full(like.shape, 0, { dtype: like.dtype, backend: like.backend, ...options });
}

/** Ones with `like`'s shape, backend and dtype. @example `onesLike(x)` */
export function onesLike(like: Tensor, options: CreationOptions = {}): Tensor {
  return full(like.shape, 1, { dtype: like.dtype, backend: like.backend, ...options });
}

/** `value` with `like`'s shape and backend. @example `fullLike(x, -1)` */
export function fullLike(like: Tensor, value: number, options: CreationOptions = {}): Tensor {
  return full(like.shape, value, { dtype: like.dtype, backend: like.backend, ...options });
}

/** A 0-d tensor holding `value`. @example `scalar(3).item() // 3` */
export function scalar(value: number, options: CreationOptions = {}): Tensor {
  return full([], value, options);
}

/**
 * Evenly spaced values in `[start, end)`; `arange(n)` is `0 … n-1` (PyTorch's `arange`).
 *
 * @example
 * ```ts
 * arange(4).toArray();        // [0, 1, 2, 3]
 * arange(1, 2, 0.25).toArray(); // [1, 1.25, 1.5, 1.75]
 * ```
 */
export function arange(start: number, end?: number, step = 1, options: CreationOptions = {}): Tensor {
  const [from, to] = end === undefined ? [0, start] : [start, end];
  if (step === 0 || !Number.isFinite(step)) throw new ValueError('arange', 'step', `must be a finite non-zero number, got ${step}`);
  const count = Math.max(0, Math.ceil((to - from) / step));
  const values = new Array<number>(count);
  for (let index = 0; index < count; index++) values[index] = from + index * step;
  return tensor(values, { ...options, shape: [count] });
}

/** `count` evenly spaced values from `start` to `end` inclusive. @example `linspace(0, 1, 5)` */
export function linspace(start: number, end: number, count: number, options: CreationOptions = {}): Tensor {
  if (!Number.isInteger(count) || count < 0) throw new ValueError('linspace', 'count', `must be a non-negative integer, got ${count}`);
  const values = Array.from({ length: count }, (_, index) => (count === 1 ? start : start + ((end - start) * index) / (count - 1)));
  return tensor(values, { ...options, shape: [count] });
}

/** The identity matrix `[rows, columns]`. @example `eye(3)` */
export function eye(rows: number, columns = rows, options: CreationOptions = {}): Tensor {
  checkShape('eye', [rows, columns]);
  const values = new Float32Array(rows * columns);
  for (let index = 0; index < Math.min(rows, columns); index++) values[index * columns + index] = 1;
  return tensor(values, { ...options, shape: [rows, columns] });
}
