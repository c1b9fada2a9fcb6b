import { normalizeAxis } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { exp, mul, sub } from './elementwise.js';
import { runKernel } from './kernel.js';
import { permute } from './movement.js';
import { recordOp, type GradRules } from './op-set.js';
import { sum } from './reduce.js';

/** The gradient rules of softmax and logSoftmax over the last axis, beside their forward below. */
export const softmaxRules: GradRules<'softmax' | 'logSoftmax'> = {
  softmax: (grad, { out }) => [mul(out, sub(grad, sum(mul(grad, out), -1, true)))],
  logSoftmax: (grad, { out }) => [sub(grad, mul(exp(out), sum(grad, -1, true)))],
};

function lastAxisPermutation(rank: number, axis: number): number[] {
  const order = [...Array(rank).keys()].filter((index) => index !== axis);
  order.push(axis);
  return order;
}

function softmaxLike(op: 'softmax' | 'logSoftmax', x: Tensor, dim: number): Tensor {
  const axis = normalizeAxis(op, dim, x.rank);
  if (x.rank > 0 && axis !== x.rank - 1) {
    const order = lastAxisPermutation(x.rank, axis);
    const inverse = order.map((_, index) => order.indexOf(index));
    return permute(softmaxLike(op, permute(x, order), -1), inverse);
  }
  const out = runKernel(x.backend, 'softmax', { x: x.view, log: op === 'logSoftmax' }, x.shape, 'float32');
  return recordOp(softmaxRules, op, out, [x], { out });
}

/**
 * Softmax over `dim` (default the last), stable for large logits. A slice that is all
 * -Infinity gives zeros rather than NaN.
 *
 * @example
 * ```ts
 * softmax(tensor([1, 2, 3])).toArray(); // [0.090, 0.245, 0.665]
 * ```
 */
export function softmax(x: Tensor, dim = -1): Tensor {
  return softmaxLike('softmax', x, dim);
}

/** Log-softmax over `dim` (default the last), stable for large logits. @example `logSoftmax(logits)` */
export function logSoftmax(x: Tensor, dim = -1): Tensor {
  return softmaxLike('logSoftmax', x, dim);
}
