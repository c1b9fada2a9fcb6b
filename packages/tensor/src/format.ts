import type { Tensor } from './tensor.js';

const EDGE = 3;

function formatNumber(value: number, dtype: string): string {
  if (dtype === 'bool') return value ? 'true' : 'false';
  if (dtype === 'int32') return String(value);
  if (Number.isNaN(value)) return 'nan';
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
  const magnitude = Math.abs(value);
  if (magnitude !== 0 && (magnitude >= 1e5 || magnitude < 1e-4)) return value.toExponential(4);
  return value.toFixed(4);
}

/**
 * PyTorch-like text for a tensor: nested brackets, at most three leading and trailing items per
 * dimension of large tensors, then the shape and dtype.
 */
export function formatTensor(tensor: Tensor): string {
  let data: ArrayLike<number>;
  try {
    data = tensor.dataSync();
  } catch {
    return `tensor(<on ${tensor.backend.name}; read with await tensor.data()>, shape=[${tensor.shape.join(', ')}], dtype=${tensor.dtype})`;
  }
  const shape = tensor.shape;
  const abbreviate = tensor.size > 1000;
  const strides: number[] = [];
  let stride = 1;
  for (let axis = shape.length - 1; axis >= 0; axis--) {
    strides[axis] = stride;
    stride *= shape[axis];
  }
  const render = (axis: number, offset: number, indent: string): string => {
    if (axis === shape.length) return formatNumber(data[offset], tensor.dtype);
    const size = shape[axis];
    const picks: (number | null)[] = [];
    if (abbreviate && size > 2 * EDGE) {
      for (let i = 0; i < EDGE; i++) picks.push(i);
      picks.push(null);
      for (let i = size - EDGE; i < size; i++) picks.push(i);
    } else for (let i = 0; i < size; i++) picks.push(i);
    const parts = picks.map((index) => (index === null ? '...' : render(axis + 1, offset + index * strides[axis], `${indent} `)));
    const separator = axis === shape.length - 1 ? ', ' : `,\n${indent} `;
    return `[${parts.join(separator)}]`;
  };
  const grad = tensor.gradNode ? `, grad_fn=${tensor.gradNode.op}` : tensor.requiresGrad ? ', requires_grad=true' : '';
  return `tensor(${render(0, 0, '       ')}, shape=[${shape.join(', ')}], dtype=${tensor.dtype}${grad})`;
}
