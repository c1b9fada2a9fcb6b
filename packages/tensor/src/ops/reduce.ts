import { nonDifferentiable } from '../autograd.js';
import type { ReduceOp } from '../backend.js';
import { ShapeError, formatShape } from '../errors.js';
import { contiguousStrides, normalizeAxis, sameShape, sizeOf, type Shape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { div, eq, mul, sub, where, log, exp, add } from './elementwise.js';
import { runKernel } from './kernel.js';
import { expand, reshape } from './movement.js';
import { recordOp, type GradRules } from './op-set.js';

/** The gradient rules of the reductions, beside their forwards below. */
export const reduceRules: GradRules<ReduceOp> = {
  sum: (grad, { x }) => [expand(grad, x.shape)],
  // The gradient is shared evenly between tied extremes (PyTorch's amax/amin rule).
  max: (grad, saved) => [extremeGradient(grad, saved)],
  min: (grad, saved) => [extremeGradient(grad, saved)],
  argmax: nonDifferentiable,
  argmin: nonDifferentiable,
};

function extremeGradient(grad: Tensor, { x, kept, axes }: { x: Tensor; kept: Tensor; axes: readonly number[] }): Tensor {
  const hits = where(eq(x, kept), 1, 0);
  return div(mul(hits, grad), sum(hits, axes, true));
}

function axesOf(op: string, x: Tensor, dim: number | readonly number[] | undefined): number[] {
  if (dim === undefined) return x.shape.map((_, axis) => axis);
  const list = typeof dim === 'number' ? [dim] : dim;
  const axes = [...new Set(list.map((axis) => normalizeAxis(op, axis, x.rank)))];
  return axes.sort((a, b) => a - b);
}

function keptShape(shape: Shape, axes: readonly number[]): number[] {
  return shape.map((size, axis) => (axes.includes(axis) ? 1 : size));
}

/** Runs a reduce kernel over `axes` (the result keeps reduced axes as size 1). */
function reduceRaw(op: ReduceOp, x: Tensor, axes: readonly number[]): Tensor {
  let out = x;
  let shape = [...x.shape];
  for (let index = axes.length - 1; index >= 0; index--) {
    const axis = axes[index];
    shape = shape.filter((_, position) => position !== axis);
    out = runKernel(out.backend, 'reduce', { op, x: out.view, axis }, shape, op === 'argmax' || op === 'argmin' ? 'int32' : 'float32');
  }
  const kept = keptShape(x.shape, axes);
  return out.viewAs(kept, contiguousStrides(kept), 0);
}

function finish(x: Tensor, kept: Tensor, axes: readonly number[], keepDim: boolean): Tensor {
  return keepDim ? kept : reshape(kept, x.shape.filter((_, axis) => !axes.includes(axis)));
}

/**
 * Sum over `dim` (one axis, several, or all when omitted).
 *
 * @example
 * ```ts
 * tensor([[1, 2], [3, 4]]).sum(1).toArray(); // [3, 7]
 * ```
 */
export function sum(x: Tensor, dim?: number | readonly number[], keepDim = false): Tensor {
  const axes = axesOf('sum', x, dim);
  const kept = reduceRaw('sum', x, axes);
  const out = recordOp(reduceRules, 'sum', kept, [x], { x });
  return finish(x, out, axes, keepDim);
}

/** Mean over `dim` (all axes when omitted). @example `x.mean(-1)` */
export function mean(x: Tensor, dim?: number | readonly number[], keepDim = false): Tensor {
  const axes = axesOf('mean', x, dim);
  const count = axes.reduce((product, axis) => product * x.shape[axis], 1);
  return div(sum(x, axes, keepDim), count);
}

function extreme(op: 'max' | 'min', x: Tensor, dim: number | undefined, keepDim: boolean): Tensor {
  if (x.size === 0) throw new ShapeError(op, 'x', 'a non-empty tensor', x.shape);
  const axes = axesOf(op, x, dim);
  const kept = reduceRaw(op, x, axes);
  const out = recordOp(reduceRules, op, kept, [x], { x, kept, axes });
  return finish(x, out, axes, keepDim);
}

/** Largest value over `dim` (all elements when omitted). @example `x.max(-1)` */
export function max(x: Tensor, dim?: number, keepDim = false): Tensor {
  return extreme('max', x, dim, keepDim);
}

/** Smallest value over `dim` (all elements when omitted). @example `x.min(0)` */
export function min(x: Tensor, dim?: number, keepDim = false): Tensor {
  return extreme('min', x, dim, keepDim);
}

function argExtreme(op: 'argmax' | 'argmin', x: Tensor, dim: number | undefined, keepDim: boolean): Tensor {
  if (x.size === 0) throw new ShapeError(op, 'x', 'a non-empty tensor', x.shape);
  if (dim === undefined) return argExtreme(op, reshape(x, [x.size]), 0, false);
  const axis = normalizeAxis(op, dim, x.rank);
  return finish(x, recordOp(reduceRules, op, reduceRaw(op, x, [axis]), [x], {}), [axis], keepDim);
}

/** Index of the largest value over `dim` (int32; ties go to the lowest index). @example `logits.argmax(-1)` */
export function argmax(x: Tensor, dim?: number, keepDim = false): Tensor {
  return argExtreme('argmax', x, dim, keepDim);
}

/** Index of the smallest value over `dim` (int32; ties go to the lowest index). */
export function argmin(x: Tensor, dim?: number, keepDim = false): Tensor {
  return argExtreme('argmin', x, dim, keepDim);
}

/**
 * `log(sum(exp(x)))` over `dim`, stable for large values; a slice that is all -Infinity gives -Infinity.
 *
 * @example
 * ```ts
 * tensor([1000, 1000]).logSumExp(0).item(); // 1000.693…
 * ```
 */
export function logSumExp(x: Tensor, dim: number | readonly number[], keepDim = false): Tensor {
  const axes = axesOf('logSumExp', x, dim);
  const peak = reduceRaw('max', x, axes);
  const finitePeak = where(eq(peak, -Infinity), 0, peak);
  const kept = add(log(sum(exp(sub(x, finitePeak)), axes, true)), finitePeak);
  return finish(x, kept, axes, keepDim);
}

/**
 * Variance over `dim` with Bessel's `correction` (1 = unbiased, PyTorch's default).
 *
 * @example
 * ```ts
 * variance(x, -1, { correction: 0 }); // the population variance used by LayerNorm
 * ```
 */
export function variance(
  x: Tensor,
  dim?: number | readonly number[],
  options: { correction?: number; keepDim?: boolean } = {},
): Tensor {
  const axes = axesOf('variance', x, dim);
  const count = axes.reduce((product, axis) => product * x.shape[axis], 1);
  const centered = sub(x, mean(x, axes, true));
  return div(sum(mul(centered, centered), axes, options.keepDim ?? false), Math.max(0, count - (options.correction ?? 1)));
}

/**
 * Sums `x` down to `shape`, undoing broadcasting: leading axes are summed away and axes that
 * `shape` has as 1 are summed with keepDim. Autograd calls this in one place for every op.
 */
export function sumToShape(x: Tensor, shape: Shape): Tensor {
  if (sameShape(x.shape, shape)) return x;
  const lead = x.rank - shape.length;
  if (lead < 0) throw new ShapeError('sumToShape', 'shape', `at most rank ${x.rank}`, shape, `cannot sum ${formatShape(x.shape)} to it`);
  const axes: number[] = [];
  for (let axis = 0; axis < x.rank; axis++) {
    if (axis < lead || (shape[axis - lead] === 1 && x.shape[axis] !== 1)) axes.push(axis);
  }
  const summed = axes.length > 0 ? sum(x, axes, true) : x;
  if (sizeOf(summed.shape) !== sizeOf(shape)) {
    throw new ShapeError('sumToShape', 'shape', formatShape(shape), x.shape, 'not a broadcast of it');
  }
  return reshape(summed, shape);
}
