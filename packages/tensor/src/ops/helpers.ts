import { normalizeAxis } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { permute } from './movement.js';

/** `x` with dimension `dim` moved to the end (a view). */
export function movedLast(x: Tensor, dim: number): Tensor {
  const axis = normalizeAxis('movedLast', dim, x.rank);
  const order = [...Array(x.rank).keys()].filter((index) => index !== axis);
  return permute(x, [...order, axis]);
}
