import type { View } from '../backend.js';
import { ShapeError, formatShape } from '../errors.js';
import { broadcastShapes, sizeOf } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { backendOf, runKernel } from './kernel.js';
import { contiguous, expand, reshape, transpose } from './movement.js';
import { recordOp, type GradRules } from './op-set.js';

/** The gradient rule of the batched product, beside its forward below (autograd undoes the batch broadcast). */
export const matmulRules: GradRules<'matmul'> = {
  matmul: (grad, { a, b }) => [
    a.requiresGrad ? matmul(grad, transpose(b, -2, -1)) : null,
    b.requiresGrad ? matmul(transpose(a, -2, -1), grad) : null,
  ],
};

/** Views `x` (already expanded to [...batch, R, C]) as [B, R, C] with one batch stride, copying only if needed. */
function batchView(x: Tensor, batch: readonly number[]): View {
  const rank = x.rank;
  const rows = x.shape[rank - 2];
  const columns = x.shape[rank - 1];
  const batchSize = sizeOf(batch);
  let stride: number | null = null;
  let ok = true;
  for (let axis = rank - 3; axis >= 0 && ok; axis--) {
    const size = x.shape[axis];
    if (size === 1) continue;
    const own = x.strides[axis];
    if (stride === null) stride = own;
    else {
      // The next outer axis must step over the whole inner block (or broadcast everything so far).
      const inner = x.shape.slice(axis + 1, rank - 2).reduce((product, s) => product * s, 1);
      ok = own === stride * inner || (own === 0 && stride === 0);
    }
  }
  if (!ok) {
    const dense = contiguous(x);
    return { ...dense.view, shape: [batchSize, rows, columns], strides: [rows * columns, dense.strides[rank - 2] ?? columns, 1] };
  }
  return { ...x.view, shape: [batchSize, rows, columns], strides: [stride ?? 0, x.strides[rank - 2], x.strides[rank - 1]] };
}

/**
 * Matrix product with NumPy/PyTorch semantics: 1-D operands are vectors, batch dimensions
 * broadcast. `a` [..., M, K] · `b` [..., K, N] → [..., M, N].
 *
 * @example
 * ```ts
 * matmul(query, key.transpose(-2, -1)); // [B, L, D] · [B, D, S] → [B, L, S]
 * ```
 */
export function matmul(a: Tensor, b: Tensor): Tensor {
  if (a.rank === 0 || b.rank === 0) {
    throw new ShapeError('matmul', a.rank === 0 ? 'a' : 'b', 'at least 1 dimension', a.rank === 0 ? a.shape : b.shape);
  }
  if (a.rank === 1) return reshape(matmul(reshape(a, [1, a.shape[0]]), b), [...b.shape.slice(0, -2), b.shape[b.rank - 1]].slice(b.rank === 1 ? 1 : 0));
  if (b.rank === 1) return reshape(matmul(a, reshape(b, [b.shape[0], 1])), a.shape.slice(0, -1));
  const m = a.shape[a.rank - 2];
  const k = a.shape[a.rank - 1];
  const n = b.shape[b.rank - 1];
  if (b.shape[b.rank - 2] !== k) {
    throw new ShapeError('matmul', 'b', `[..., ${k}, N]`, b.shape, `inner dimensions differ: a is ${formatShape(a.shape)}, b is ${formatShape(b.shape)}`);
  }
  const backend = backendOf('matmul', [a, b]);
  const batch = broadcastShapes('matmul', a.shape.slice(0, -2), b.shape.slice(0, -2));
  const left = batchView(expand(a, [...batch, m, k]), batch);
  const right = batchView(expand(b, [...batch, k, n]), batch);
  const out = runKernel(backend, 'matmul', { a: left, b: right }, [...batch, m, n], 'float32');
  return recordOp(matmulRules, 'matmul', out, [a, b], { a, b });
}
