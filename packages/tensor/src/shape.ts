import { ShapeError, ValueError, formatShape } from './errors.js';

/** A tensor's shape: the size of each dimension, outermost first. */
export type Shape = readonly number[];

/** The number of elements of a shape (1 for a 0-d shape). */
export function sizeOf(shape: Shape): number {
  let size = 1;
  for (const dimension of shape) size *= dimension;
  return size;
}

/** Row-major (C-contiguous) strides of a shape. */
export function contiguousStrides(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let stride = 1;
  for (let axis = shape.length - 1; axis >= 0; axis--) {
    strides[axis] = stride;
    stride *= shape[axis];
  }
  return strides;
}

/** True when two shapes are equal. */
export function sameShape(a: Shape, b: Shape): boolean {
  if (a.length !== b.length) return false;
  for (let axis = 0; axis < a.length; axis++) if (a[axis] !== b[axis]) return false;
  return true;
}

/**
 * NumPy/PyTorch broadcasting: aligns shapes on their last dimension; sizes must match or be 1.
 *
 * @example
 * ```ts
 * broadcastShapes('add', [2, 1, 4], [3, 1]); // [2, 3, 4]
 * ```
 */
export function broadcastShapes(op: string, ...shapes: Shape[]): number[] {
  const rank = Math.max(0, ...shapes.map((shape) => shape.length));
  const result = new Array<number>(rank).fill(1);
  for (const shape of shapes) {
    for (let index = 0; index < shape.length; index++) {
      const axis = rank - shape.length + index;
      const size = shape[index];
      const current = result[axis];
      if (size === current || size === 1) continue;
      if (current === 1) {
        result[axis] = size;
        continue;
      }
      const others = shapes.filter((other) => other !== shape).map((other) => formatShape(other));
      throw new ShapeError(op, 'operands', `broadcastable with ${others.join(' and ')}`, shape);
    }
  }
  return result;
}

/** Strides that read a tensor of `shape`/`strides` as if it had the broadcast shape `target`. */
export function broadcastStrides(shape: Shape, strides: readonly number[], target: Shape): number[] {
  const result = new Array<number>(target.length).fill(0);
  const shift = target.length - shape.length;
  for (let axis = 0; axis < shape.length; axis++) {
    result[axis + shift] = shape[axis] === 1 && target[axis + shift] !== 1 ? 0 : strides[axis];
  }
  return result;
}

/** Turns a possibly negative axis into one in `[0, rank)`, or throws a `ValueError` naming the op. */
export function normalizeAxis(op: string, axis: number, rank: number, argument = 'dim'): number {
  const normalized = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(axis) || normalized < 0 || normalized >= Math.max(rank, 1)) {
    throw new ValueError(op, argument, `axis ${axis} is out of range for a tensor of rank ${rank}`);
  }
  return normalized;
}

/** Checks that a shape is a list of non-negative integers. */
export function checkShape(op: string, shape: Shape, argument = 'shape'): void {
  for (const size of shape) {
    if (!Number.isInteger(size) || size < 0) {
      throw new ValueError(op, argument, `sizes must be non-negative integers, got ${formatShape(shape)}`);
    }
  }
}

/**
 * Resolves a reshape target that may hold one `-1` against the number of elements.
 *
 * @example
 * ```ts
 * inferShape('reshape', [2, -1], 6); // [2, 3]
 * ```
 */
export function inferShape(op: string, target: Shape, size: number, from: Shape = [size]): number[] {
  const unknown = target.indexOf(-1);
  if (target.lastIndexOf(-1) !== unknown) throw new ValueError(op, 'shape', 'only one dimension may be -1');
  const known = target.reduce((product, dimension) => (dimension === -1 ? product : product * dimension), 1);
  const result = [...target];
  if (unknown >= 0) {
    if (known === 0 || size % known !== 0) {
      throw new ShapeError(op, 'shape', formatShape(target), from, `cannot infer -1 for ${size} elements`);
    }
    result[unknown] = size / known;
  }
  checkShape(op, result);
  if (sizeOf(result) !== size) {
    throw new ShapeError(op, 'shape', `a shape of ${size} elements`, from, `cannot reshape to ${formatShape(target)}`);
  }
  return result;
}
