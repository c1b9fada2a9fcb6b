import type { BinaryOp, DataArray, UnaryOp, View } from '../backend.js';
import { sizeOf, type Shape } from '../shape.js';
import { allocate, contiguousData, elementOffsets, isContiguous } from './strided.js';

/** The error function to float32 precision (a Chebyshev fit of erfc; fractional error < 1.2e-7). */
export function erf(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? 1 - r : r - 1;
}

const unaryFunctions: Record<UnaryOp, (x: number) => number> = {
  neg: (x) => -x,
  exp: Math.exp,
  log: Math.log,
  sqrt: Math.sqrt,
  tanh: Math.tanh,
  sigmoid: (x) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x))),
  relu: (x) => (x > 0 ? x : 0),
  abs: Math.abs,
  sign: (x) => Math.sign(x),
  sin: Math.sin,
  cos: Math.cos,
  erf,
  reciprocal: (x) => 1 / x,
  not: (x) => (x ? 0 : 1),
};

/** Runs a unary op over a view into a fresh row-major array. */
export function unaryKernel(op: UnaryOp, x: View<DataArray>): DataArray {
  const input = contiguousData(x);
  const size = input.length;
  const out = allocate(op === 'not' ? 'bool' : 'float32', size);
  switch (op) {
    case 'neg':
      for (let i = 0; i < size; i++) out[i] = -input[i];
      return out;
    case 'exp':
      for (let i = 0; i < size; i++) out[i] = Math.exp(input[i]);
      return out;
    case 'tanh':
      for (let i = 0; i < size; i++) out[i] = Math.tanh(input[i]);
      return out;
    case 'relu':
      for (let i = 0; i < size; i++) out[i] = input[i] > 0 ? input[i] : 0;
      return out;
    case 'sigmoid':
      for (let i = 0; i < size; i++) {
        const v = input[i];
        out[i] = v >= 0 ? 1 / (1 + Math.exp(-v)) : Math.exp(v) / (1 + Math.exp(v));
      }
      return out;
    default: {
      const f = unaryFunctions[op];
      for (let i = 0; i < size; i++) out[i] = f(input[i]);
      return out;
    }
  }
}

const binaryFunctions: Record<BinaryOp, (a: number, b: number) => number> = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  pow: (a, b) => Math.pow(a, b),
  maximum: (a, b) => (a >= b || Number.isNaN(a) ? a : b),
  minimum: (a, b) => (a <= b || Number.isNaN(a) ? a : b),
  eq: (a, b) => (a === b ? 1 : 0),
  ne: (a, b) => (a !== b ? 1 : 0),
  lt: (a, b) => (a < b ? 1 : 0),
  le: (a, b) => (a <= b ? 1 : 0),
  gt: (a, b) => (a > b ? 1 : 0),
  ge: (a, b) => (a >= b ? 1 : 0),
  and: (a, b) => (a && b ? 1 : 0),
  or: (a, b) => (a || b ? 1 : 0),
  xor: (a, b) => (!a !== !b ? 1 : 0),
};

const boolResult = new Set<BinaryOp>(['eq', 'ne', 'lt', 'le', 'gt', 'ge', 'and', 'or', 'xor']);

/** Runs a binary op over two views already broadcast to `shape`. */
export function binaryKernel(op: BinaryOp, a: View<DataArray>, b: View<DataArray>, shape: Shape): DataArray {
  const size = sizeOf(shape);
  const out = allocate(boolResult.has(op) ? 'bool' : 'float32', size);
  const f = binaryFunctions[op];
  const aData = a.handle;
  const bData = b.handle;
  const aFull = isContiguous(a.shape, a.strides);
  const bFull = isContiguous(b.shape, b.strides);
  const bScalar = b.strides.every((stride) => stride === 0);
  // Fast paths: both dense; dense with a scalar; dense with a row vector broadcast over rows.
  if (aFull && bFull) {
    const ao = a.offset;
    const bo = b.offset;
    if (op === 'add') for (let i = 0; i < size; i++) out[i] = aData[ao + i] + bData[bo + i];
    else if (op === 'mul') for (let i = 0; i < size; i++) out[i] = aData[ao + i] * bData[bo + i];
    else if (op === 'sub') for (let i = 0; i < size; i++) out[i] = aData[ao + i] - bData[bo + i];
    else for (let i = 0; i < size; i++) out[i] = f(aData[ao + i], bData[bo + i]);
    return out;
  }
  if (aFull && bScalar) {
    const ao = a.offset;
    const value = bData[b.offset];
    if (op === 'mul') for (let i = 0; i < size; i++) out[i] = aData[ao + i] * value;
    else if (op === 'add') for (let i = 0; i < size; i++) out[i] = aData[ao + i] + value;
    else for (let i = 0; i < size; i++) out[i] = f(aData[ao + i], value);
    return out;
  }
  // The same with the operands' roles swapped (a scalar or row on the left, as gradients of
  // broadcast ops produce: an expanded scalar times a dense tensor).
  if (bFull && a.strides.every((stride) => stride === 0)) {
    const bo = b.offset;
    const value = aData[a.offset];
    if (op === 'mul') for (let i = 0; i < size; i++) out[i] = value * bData[bo + i];
    else if (op === 'add') for (let i = 0; i < size; i++) out[i] = value + bData[bo + i];
    else for (let i = 0; i < size; i++) out[i] = f(value, bData[bo + i]);
    return out;
  }
  const rank = shape.length;
  const isRow = (view: View<DataArray>) => rank >= 1 && view.strides[rank - 1] === 1 && view.strides.slice(0, rank - 1).every((s) => s === 0);
  if ((aFull && isRow(b)) || (bFull && isRow(a))) {
    const columns = shape[rank - 1];
    const ao = a.offset;
    const bo = b.offset;
    const aRow = !aFull;
    for (let start = 0; start < size; start += columns) {
      const aStart = aRow ? ao : ao + start;
      const bStart = aRow ? bo + start : bo;
      if (op === 'add') for (let j = 0; j < columns; j++) out[start + j] = aData[aStart + j] + bData[bStart + j];
      else if (op === 'mul') for (let j = 0; j < columns; j++) out[start + j] = aData[aStart + j] * bData[bStart + j];
      else for (let j = 0; j < columns; j++) out[start + j] = f(aData[aStart + j], bData[bStart + j]);
    }
    return out;
  }
  stridedBinary(op, f, out, a, b, shape);
  return out;
}

/**
 * The general broadcast case without per-element offset tables: axes that both operands walk
 * contiguously are merged, then the innermost axis runs as a plain loop with each operand's own
 * stride (0 for a broadcast axis, as `[B, T, 1]` against `[B, T, E]` in layer-norm gradients).
 */
function stridedBinary(op: BinaryOp, f: (a: number, b: number) => number, out: DataArray, a: View<DataArray>, b: View<DataArray>, shape: Shape): void {
  const dims: number[] = [];
  const aStrides: number[] = [];
  const bStrides: number[] = [];
  for (let axis = 0; axis < shape.length; axis++) {
    if (shape[axis] === 1) continue;
    const last = dims.length - 1;
    if (last >= 0 && aStrides[last] === a.strides[axis] * shape[axis] && bStrides[last] === b.strides[axis] * shape[axis]) {
      dims[last] *= shape[axis];
      aStrides[last] = a.strides[axis];
      bStrides[last] = b.strides[axis];
    } else {
      dims.push(shape[axis]);
      aStrides.push(a.strides[axis]);
      bStrides.push(b.strides[axis]);
    }
  }
  const size = out.length;
  if (size === 0) return;
  if (dims.length === 0) {
    out[0] = f(a.handle[a.offset], b.handle[b.offset]);
    return;
  }
  const rank = dims.length;
  const inner = dims[rank - 1];
  const aInner = aStrides[rank - 1];
  const bInner = bStrides[rank - 1];
  const aData = a.handle;
  const bData = b.handle;
  const counter = new Array<number>(rank).fill(0);
  let aBase = a.offset;
  let bBase = b.offset;
  for (let start = 0; start < size; start += inner) {
    if (op === 'add') for (let j = 0, x = aBase, y = bBase; j < inner; j++, x += aInner, y += bInner) out[start + j] = aData[x] + bData[y];
    else if (op === 'mul') for (let j = 0, x = aBase, y = bBase; j < inner; j++, x += aInner, y += bInner) out[start + j] = aData[x] * bData[y];
    else if (op === 'sub') for (let j = 0, x = aBase, y = bBase; j < inner; j++, x += aInner, y += bInner) out[start + j] = aData[x] - bData[y];
    else if (op === 'div') for (let j = 0, x = aBase, y = bBase; j < inner; j++, x += aInner, y += bInner) out[start + j] = aData[x] / bData[y];
    else for (let j = 0, x = aBase, y = bBase; j < inner; j++, x += aInner, y += bInner) out[start + j] = f(aData[x], bData[y]);
    for (let axis = rank - 2; axis >= 0; axis--) {
      counter[axis]++;
      aBase += aStrides[axis];
      bBase += bStrides[axis];
      if (counter[axis] < dims[axis]) break;
      aBase -= aStrides[axis] * dims[axis];
      bBase -= bStrides[axis] * dims[axis];
      counter[axis] = 0;
    }
  }
}

/** `condition ? a : b` over three views broadcast to `shape`. */
export function whereKernel(
  condition: View<DataArray>,
  a: View<DataArray>,
  b: View<DataArray>,
  shape: Shape,
): DataArray {
  const size = sizeOf(shape);
  const out = allocate(a.dtype === 'float32' || b.dtype === 'float32' ? 'float32' : a.dtype, size);
  // Fast path: each operand dense or a single broadcast value (masks, relu-like gradients).
  const step = (view: View<DataArray>): number => (isContiguous(view.shape, view.strides) ? 1 : view.strides.every((stride) => stride === 0) ? 0 : -1);
  const [cStep, aStep, bStep] = [step(condition), step(a), step(b)];
  if (cStep >= 0 && aStep >= 0 && bStep >= 0) {
    const [cData, aData, bData] = [condition.handle, a.handle, b.handle];
    for (let i = 0, ci = condition.offset, ai = a.offset, bi = b.offset; i < size; i++, ci += cStep, ai += aStep, bi += bStep) out[i] = cData[ci] ? aData[ai] : bData[bi];
    return out;
  }
  const c = elementOffsets(shape, condition.strides, condition.offset);
  const ao = elementOffsets(shape, a.strides, a.offset);
  const bo = elementOffsets(shape, b.strides, b.offset);
  const cData = condition.handle;
  const aData = a.handle;
  const bData = b.handle;
  for (let i = 0; i < size; i++) out[i] = cData[c[i]] ? aData[ao[i]] : bData[bo[i]];
  return out;
}
