import { DTypeError, ShapeError, ValueError, formatShape } from '../errors.js';
import { normalizeAxis, type Shape } from '../shape.js';
import { Tensor } from '../tensor.js';
import { add } from './elementwise.js';
import { backendOf, runKernel } from './kernel.js';
import { expand, reshape } from './movement.js';
import { recordOp, type GradRules } from './op-set.js';

/** The gradient rules of gather and its adjoint, beside their forwards below. */
export const indexingRules: GradRules<'gather' | 'scatterAdd'> = {
  gather: (grad, { shape, axis, index }) => [scatterAddZeros(shape, axis, index, grad)],
  scatterAdd: (grad, { axis, index }) => [gather(grad, axis, index)],
};

function checkIndex(op: string, x: Tensor, axis: number, index: Tensor): void {
  if (index.dtype !== 'int32') throw new DTypeError(op, 'index', 'int32', index.dtype);
  const limit = x.shape[axis];
  // Out-of-range indices are a clear error, never a silent wrong read (checked where the device reads synchronously).
  if (index.backend.readSync && index.size > 0) {
    const values = index.dataSync();
    for (const value of values) {
      if (value < 0 || value >= limit) {
        throw new ValueError(op, 'index', `index ${value} is out of range for dimension ${axis} of size ${limit} (shape ${formatShape(x.shape)})`);
      }
    }
  }
}

/**
 * PyTorch's `gather`: `out[i][j] = x[i][index[i][j]]` along `dim`. `index` is int32 with `x`'s
 * shape except along `dim`.
 *
 * @example
 * ```ts
 * gather(logProbabilities, 1, target.unsqueeze(1)); // [N, 1]
 * ```
 */
export function gather(x: Tensor, dim: number, index: Tensor): Tensor {
  const axis = normalizeAxis('gather', dim, x.rank);
  const ok = index.rank === x.rank && index.shape.every((size, a) => a === axis || size === x.shape[a]);
  if (!ok) {
    const pattern = x.shape.map((size, a) => (a === axis ? 'N' : String(size)));
    throw new ShapeError('gather', 'index', `[${pattern.join(', ')}]`, index.shape);
  }
  checkIndex('gather', x, axis, index);
  const backend = backendOf('gather', [x, index]);
  const out = runKernel(backend, 'gather', { x: x.view, axis, index: index.view }, index.shape, x.dtype);
  return recordOp(indexingRules, 'gather', out, [x], { shape: x.shape, axis, index });
}

function scatterAddZeros(shape: Shape, axis: number, index: Tensor, source: Tensor): Tensor {
  const out = runKernel(source.backend, 'scatterAdd', { shape, axis, index: index.view, source: source.view }, shape, 'float32');
  return recordOp(indexingRules, 'scatterAdd', out, [source], { axis, index });
}

/**
 * `x` plus `source` added at `index` along `dim` (PyTorch's `scatter_add`, without mutation).
 *
 * @example
 * ```ts
 * scatterAdd(zeros([3]), 0, tensor([0, 0, 2], { dtype: 'int32' }), tensor([1, 2, 3])); // [3, 0, 3]
 * ```
 */
export function scatterAdd(x: Tensor, dim: number, index: Tensor, source: Tensor): Tensor {
  const axis = normalizeAxis('scatterAdd', dim, x.rank);
  if (index.rank !== x.rank || index.shape.some((size, a) => size !== source.shape[a] || (a !== axis && size !== x.shape[a]))) {
    throw new ShapeError('scatterAdd', 'index', `source's shape ${formatShape(source.shape)}, matching x off dim ${axis}`, index.shape);
  }
  checkIndex('scatterAdd', x, axis, index);
  return add(x, scatterAddZeros(x.shape, axis, index, source));
}

/**
 * Rows (or slices along `dim`) picked by a 1-D int32 `index` (PyTorch's `index_select`).
 *
 * @example
 * ```ts
 * indexSelect(weight, 0, tensor([2, 0], { dtype: 'int32' })); // rows 2 and 0
 * ```
 */
export function indexSelect(x: Tensor, dim: number, index: Tensor): Tensor {
  const axis = normalizeAxis('indexSelect', dim, x.rank);
  if (index.rank !== 1) throw new ShapeError('indexSelect', 'index', '[N] (1-D)', index.shape);
  const shape = x.shape.map((size, a) => (a === axis ? index.shape[0] : size));
  const lifted = reshape(index, x.shape.map((_, a) => (a === axis ? index.shape[0] : 1)));
  return gather(x, axis, expand(lifted, shape));
}

/**
 * Looks up rows of `weight` [V, D] for int32 `indices` of any shape → [...indices.shape, D].
 *
 * @example
 * ```ts
 * embedding(tensor([[1, 3]], { dtype: 'int32' }), table); // [1, 2, D]
 * ```
 */
export function embedding(indices: Tensor, weight: Tensor): Tensor {
  if (weight.rank !== 2) throw new ShapeError('embedding', 'weight', '[V, D]', weight.shape);
  if (indices.dtype !== 'int32') throw new DTypeError('embedding', 'indices', 'int32', indices.dtype);
  const flat = reshape(indices, [indices.size]);
  return reshape(indexSelect(weight, 0, flat), [...indices.shape, weight.shape[1]]);
}

/**
 * One-hot encoding of int32 `indices` with `classes` classes (float32, a new last dimension).
 *
 * @example
 * ```ts
 * oneHot(tensor([0, 2], { dtype: 'int32' }), 3).toArray(); // [[1, 0, 0], [0, 0, 1]]
 * ```
 */
export function oneHot(indices: Tensor, classes: number): Tensor {
  if (indices.dtype !== 'int32') throw new DTypeError('oneHot', 'indices', 'int32', indices.dtype);
  const positions = Tensor.fromData(Int32Array.from({ length: classes }, (_, i) => i), [classes], 'int32', indices.backend);
  const shape = [...indices.shape, classes];
  return runKernel(
    indices.backend,
    'binary',
    {
      op: 'eq',
      a: { ...indices.view, shape, strides: [...indices.strides, 0] },
      b: { ...positions.view, shape, strides: [...shape.slice(0, -1).map(() => 0), 1] },
      shape,
    },
    shape,
    'bool',
  ).float();
}

/** @internal Scatter-adds `source` into zeros of `shape` at `positions` along `axis` (slice's gradient). */
export function scatterPositions(shape: Shape, axis: number, positions: Int32Array, source: Tensor): Tensor {
  const line = Tensor.fromData(positions, [positions.length], 'int32', source.backend);
  const lifted = reshape(line, source.shape.map((size, a) => (a === axis ? size : 1)));
  return scatterAddZeros(shape, axis, expand(lifted, source.shape).contiguous(), source);
}
