import { nonDifferentiable } from '../autograd.js';
import type { DType } from '../backend.js';
import { DTypeError, ShapeError, ValueError, formatShape } from '../errors.js';
import { contiguousStrides, inferShape, normalizeAxis, sameShape, type Shape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { full } from './creation.js';
import { scatterPositions } from './indexing.js';
import { backendOf, runKernel } from './kernel.js';
import { recordOp, type GradRules } from './op-set.js';

type MovementOpName = 'contiguous' | 'clone' | 'cast' | 'reshape' | 'permute' | 'expand' | 'unsqueeze' | 'slice' | 'concat';

/** The gradient rules of the copies and views, beside their forwards below. */
export const movementRules: GradRules<MovementOpName> = {
  contiguous: (grad) => [grad],
  clone: (grad) => [grad],
  // A cast to float32 of an int32 or bool tensor has no gradient to pass back either.
  cast: nonDifferentiable,
  reshape: (grad, { shape }) => [reshape(grad, shape)],
  permute: (grad, { inverse }) => [permute(grad, inverse)],
  expand: (grad, { shape }) => [grad.sumToShape(shape)],
  unsqueeze: (grad, { shape }) => [reshape(grad, shape)],
  slice: (grad, { shape, axis, from, to, step, length }) => {
    if (step === 1) {
      const before = [...shape];
      before[axis] = from;
      const after = [...shape];
      after[axis] = shape[axis] - to;
      const zerosBefore = full(before, 0, { backend: grad.backend });
      const zerosAfter = full(after, 0, { backend: grad.backend });
      return [concat([zerosBefore, grad, zerosAfter], axis)];
    }
    return [scatterPositions(shape, axis, Int32Array.from({ length }, (_, i) => from + i * step), grad)];
  },
  concat: (grad, { tensors, axis }) => {
    let position = 0;
    return tensors.map((tensor) => {
      const part = slice(grad, axis, position, position + tensor.shape[axis]);
      position += tensor.shape[axis];
      return part;
    });
  },
};

/**
 * A row-major copy of `x` (or `x` itself when it already is one), optionally cast to `dtype`.
 *
 * @example
 * ```ts
 * x.transpose(0, 1).contiguous();
 * ```
 */
export function contiguous(x: Tensor, dtype: DType = x.dtype): Tensor {
  if (dtype === x.dtype && x.isContiguous) return x;
  const out = runKernel(x.backend, 'contiguous', { x: x.view, dtype }, x.shape, dtype);
  return recordOp(movementRules, dtype === x.dtype ? 'contiguous' : 'cast', out, [x], {});
}

/** A fresh copy of `x` that shares no storage with it. @example `x.clone()` */
export function clone(x: Tensor): Tensor {
  const out = runKernel(x.backend, 'contiguous', { x: x.view, dtype: x.dtype }, x.shape, x.dtype);
  return recordOp(movementRules, 'clone', out, [x], {});
}

/** `x` with another dtype (float32 ↔ int32 ↔ bool; non-zero is true). @example `mask.float()` */
export function cast(x: Tensor, dtype: DType): Tensor {
  if (dtype === x.dtype) return x;
  return recordOp(movementRules, 'cast', runKernel(x.backend, 'contiguous', { x: x.view, dtype }, x.shape, dtype), [x], {});
}

/**
 * The same elements in another shape (one dimension may be -1). A view when `x` is contiguous.
 *
 * @example
 * ```ts
 * arange(6).reshape([2, -1]).shape; // [2, 3]
 * ```
 */
export function reshape(x: Tensor, shape: Shape): Tensor {
  const target = inferShape('reshape', shape, x.size, x.shape);
  if (sameShape(target, x.shape)) return x;
  const source = contiguous(x);
  const out = source.viewAs(target, contiguousStrides(target), source.offset);
  return recordOp(movementRules, 'reshape', out, [source], { shape: source.shape });
}

/** Flattens dimensions `startDim … endDim` into one. @example `x.flatten()` */
export function flatten(x: Tensor, startDim = 0, endDim = -1): Tensor {
  if (x.rank === 0) return reshape(x, [1]);
  const start = normalizeAxis('flatten', startDim, x.rank, 'startDim');
  const end = normalizeAxis('flatten', endDim, x.rank, 'endDim');
  if (end < start) throw new ValueError('flatten', 'endDim', `must not come before startDim (${startDim} > ${endDim})`);
  return reshape(x, [...x.shape.slice(0, start), -1, ...x.shape.slice(end + 1)]);
}

/**
 * Reorders dimensions (a view). `dims` lists the source dimension of each result dimension.
 *
 * @example
 * ```ts
 * x.permute([0, 2, 1, 3]); // [B, L, H, D] → [B, H, L, D]
 * ```
 */
export function permute(x: Tensor, dims: readonly number[]): Tensor {
  const order = dims.map((dim) => normalizeAxis('permute', dim, x.rank, 'dims'));
  if (order.length !== x.rank || new Set(order).size !== x.rank) {
    throw new ShapeError('permute', 'dims', `a permutation of ${x.rank} axes`, dims);
  }
  if (order.every((axis, index) => axis === index)) return x;
  const out = x.viewAs(
    order.map((axis) => x.shape[axis]),
    order.map((axis) => x.strides[axis]),
  );
  const inverse = order.map((_, index) => order.indexOf(index));
  return recordOp(movementRules, 'permute', out, [x], { inverse });
}

/** Swaps two dimensions (a view). @example `key.transpose(-2, -1)` */
export function transpose(x: Tensor, dim0 = -2, dim1 = -1): Tensor {
  const order = [...Array(x.rank).keys()];
  const a = normalizeAxis('transpose', dim0, x.rank, 'dim0');
  const b = normalizeAxis('transpose', dim1, x.rank, 'dim1');
  [order[a], order[b]] = [order[b], order[a]];
  return permute(x, order);
}

/**
 * Broadcasts size-1 dimensions (and new leading ones) to `shape` without copying; -1 keeps a size.
 *
 * @example
 * ```ts
 * bias.expand([batch, features]);
 * ```
 */
export function expand(x: Tensor, shape: Shape): Tensor {
  const lead = shape.length - x.rank;
  if (lead < 0) throw new ShapeError('expand', 'shape', `at least ${x.rank} dimensions`, shape);
  const target = shape.map((size, axis) => (size === -1 && axis >= lead ? x.shape[axis - lead] : size));
  const strides = target.map((size, axis) => {
    if (axis < lead) return 0;
    const own = x.shape[axis - lead];
    if (own === size) return x.strides[axis - lead];
    if (own === 1) return 0;
    throw new ShapeError('expand', 'shape', `sizes that match ${formatShape(x.shape)} or expand its 1s`, target);
  });
  if (sameShape(target, x.shape)) return x;
  const out = x.viewAs(target, strides);
  return recordOp(movementRules, 'expand', out, [x], { shape: x.shape });
}

/** Broadcasts `x` to `shape` (PyTorch's `broadcast_to`). */
export function broadcastTo(x: Tensor, shape: Shape): Tensor {
  return expand(x, shape);
}

/** Removes size-1 dimensions (only `dim` when given). @example `x.squeeze(0)` */
export function squeeze(x: Tensor, dim?: number): Tensor {
  if (dim === undefined) return reshape(x, x.shape.filter((size) => size !== 1));
  const axis = normalizeAxis('squeeze', dim, x.rank);
  if (x.shape[axis] !== 1) return x;
  return reshape(x, x.shape.filter((_, index) => index !== axis));
}

/** Inserts a size-1 dimension at `dim` (a view). @example `mask.unsqueeze(1)` */
export function unsqueeze(x: Tensor, dim: number): Tensor {
  const axis = normalizeAxis('unsqueeze', dim, x.rank + 1);
  const shape = [...x.shape];
  const strides = [...x.strides];
  shape.splice(axis, 0, 1);
  strides.splice(axis, 0, axis < x.rank ? x.strides[axis] * x.shape[axis] : 1);
  const out = x.viewAs(shape, strides);
  return recordOp(movementRules, 'unsqueeze', out, [x], { shape: x.shape });
}

/**
 * Elements `start, start + step, …` before `end` along `dim` (a view). Negative `start`/`end`
 * count from the end, as in Python.
 *
 * @example
 * ```ts
 * x.slice(1, 0, 4);   // x[:, 0:4]
 * x.slice(-1, -2);    // x[..., -2:]
 * ```
 */
export function slice(x: Tensor, dim: number, start: number, end?: number, step = 1): Tensor {
  const axis = normalizeAxis('slice', dim, x.rank);
  if (!Number.isInteger(step) || step < 1) throw new ValueError('slice', 'step', `must be a positive integer, got ${step}`);
  const size = x.shape[axis];
  const clampIndex = (index: number): number => Math.min(size, Math.max(0, index < 0 ? index + size : index));
  const from = clampIndex(start);
  const to = Math.max(from, clampIndex(end ?? size));
  const length = Math.ceil((to - from) / step);
  const shape = [...x.shape];
  const strides = [...x.strides];
  shape[axis] = length;
  strides[axis] = x.strides[axis] * step;
  if (from === 0 && length === size) return x;
  const out = x.viewAs(shape, strides, x.offset + from * x.strides[axis]);
  return recordOp(movementRules, 'slice', out, [x], { shape: x.shape, axis, from, to, step, length });
}

/** `length` elements of `dim` from `start` (a view; PyTorch's `narrow`). @example `x.narrow(1, 2, 3)` */
export function narrow(x: Tensor, dim: number, start: number, length: number): Tensor {
  return slice(x, dim, start, start + length);
}

/**
 * Joins tensors along `dim`; all other dimensions must match.
 *
 * @example
 * ```ts
 * concat([forward, backward], -1); // [B, T, H] + [B, T, H] → [B, T, 2H]
 * ```
 */
export function concat(tensors: readonly Tensor[], dim = 0): Tensor {
  if (tensors.length === 0) throw new ValueError('concat', 'tensors', 'needs at least one tensor');
  const first = tensors[0];
  const axis = normalizeAxis('concat', dim, first.rank);
  const backend = backendOf('concat', tensors);
  tensors.forEach((tensor, index) => {
    if (tensor.dtype !== first.dtype) throw new DTypeError('concat', `tensors[${index}]`, first.dtype, tensor.dtype);
    const ok = tensor.rank === first.rank && tensor.shape.every((size, a) => a === axis || size === first.shape[a]);
    if (!ok) {
      const pattern = first.shape.map((size, a) => (a === axis ? '*' : String(size)));
      throw new ShapeError('concat', `tensors[${index}]`, `[${pattern.join(', ')}]`, tensor.shape);
    }
  });
  if (tensors.length === 1) return first;
  const shape = [...first.shape];
  shape[axis] = tensors.reduce((total, tensor) => total + tensor.shape[axis], 0);
  const out = runKernel(backend, 'concat', { inputs: tensors.map((tensor) => tensor.view), axis, shape }, shape, first.dtype);
  return recordOp(movementRules, 'concat', out, tensors, { tensors, axis });
}

/** Stacks same-shaped tensors along a new dimension `dim`. @example `stack(steps, 1)` */
export function stack(tensors: readonly Tensor[], dim = 0): Tensor {
  if (tensors.length === 0) throw new ValueError('stack', 'tensors', 'needs at least one tensor');
  const first = tensors[0];
  tensors.forEach((tensor, index) => {
    if (!sameShape(tensor.shape, first.shape)) throw new ShapeError('stack', `tensors[${index}]`, formatShape(first.shape), tensor.shape);
  });
  const axis = normalizeAxis('stack', dim, first.rank + 1);
  return concat(tensors.map((tensor) => unsqueeze(tensor, axis)), axis);
}

/**
 * Splits along `dim` into pieces of `sizes` (a list), or of `sizes` elements each (the last may be smaller).
 *
 * @example
 * ```ts
 * const [i, f, g, o] = split(gates, 4 * hidden / 4, -1);
 * ```
 */
export function split(x: Tensor, sizes: number | readonly number[], dim = 0): Tensor[] {
  const axis = normalizeAxis('split', dim, x.rank);
  const total = x.shape[axis];
  let list: number[];
  if (typeof sizes === 'number') {
    if (!Number.isInteger(sizes) || sizes < 1) throw new ValueError('split', 'sizes', `must be a positive integer, got ${sizes}`);
    list = [];
    for (let start = 0; start < total; start += sizes) list.push(Math.min(sizes, total - start));
  } else {
    list = [...sizes];
    if (list.reduce((a, b) => a + b, 0) !== total) {
      throw new ShapeError('split', 'sizes', `sizes adding up to ${total}`, list);
    }
  }
  let position = 0;
  return list.map((size) => {
    const part = slice(x, axis, position, position + size);
    position += size;
    return part;
  });
}

/** Splits into `chunks` nearly equal pieces along `dim`. @example `chunk(qkv, 3, -1)` */
export function chunk(x: Tensor, chunks: number, dim = 0): Tensor[] {
  const axis = normalizeAxis('chunk', dim, x.rank);
  return split(x, Math.ceil(x.shape[axis] / chunks), axis);
}

/**
 * Pads with a constant. `padding` lists (before, after) pairs from the last dimension inwards,
 * as PyTorch's `F.pad` does.
 *
 * @example
 * ```ts
 * pad(x, [0, 2]); // two zeros after the last dimension
 * ```
 */
export function pad(x: Tensor, padding: readonly number[], value = 0): Tensor {
  if (padding.length % 2 !== 0 || padding.length / 2 > x.rank) {
    throw new ShapeError('pad', 'padding', `pairs for at most ${x.rank} dimensions`, padding);
  }
  let out = x;
  for (let pair = 0; pair < padding.length / 2; pair++) {
    const axis = x.rank - 1 - pair;
    const before = padding[2 * pair];
    const after = padding[2 * pair + 1];
    if (before < 0 || after < 0) throw new ValueError('pad', 'padding', 'negative padding is not supported');
    const parts: Tensor[] = [];
    const side = (count: number): Tensor => {
      const shape = [...out.shape];
      shape[axis] = count;
      return full(shape, value, { backend: x.backend, dtype: x.dtype });
    };
    if (before > 0) parts.push(side(before));
    parts.push(out);
    if (after > 0) parts.push(side(after));
    out = concat(parts, axis);
  }
  return out;
}
