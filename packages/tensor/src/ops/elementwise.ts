import { nonDifferentiable } from '../autograd.js';
import type { BinaryOp, UnaryOp } from '../backend.js';
import { DTypeError } from '../errors.js';
import { broadcastShapes, broadcastStrides } from '../shape.js';
import { Tensor } from '../tensor.js';
import { full } from './creation.js';
import { backendOf, runKernel } from './kernel.js';
import { recordOp, type GradRules } from './op-set.js';

/** A tensor, or a number broadcast like a 0-d tensor. */
export type Operand = Tensor | number;

/** The elementwise binary ops that have a function here (the kernel's `xor` has none yet). */
type BinaryOpName = Exclude<BinaryOp, 'xor'>;

/**
 * The gradient rules of the elementwise ops, beside their forwards below. `a` and `b` are the
 * operands before broadcasting; autograd sums each gradient back to its operand's shape.
 */
export const elementwiseRules: GradRules<UnaryOp | BinaryOpName | 'where'> = {
  neg: (grad) => [neg(grad)],
  exp: (grad, { out }) => [mul(grad, out)],
  log: (grad, { x }) => [div(grad, x)],
  sqrt: (grad, { out }) => [div(grad, mul(out, 2))],
  tanh: (grad, { out }) => [mul(grad, sub(1, mul(out, out)))],
  sigmoid: (grad, { out }) => [mul(grad, mul(out, sub(1, out)))],
  relu: (grad, { x }) => [where(gt(x, 0), grad, 0)],
  abs: (grad, { x }) => [mul(grad, sign(x))],
  sign: nonDifferentiable,
  sin: (grad, { x }) => [mul(grad, cos(x))],
  cos: (grad, { x }) => [neg(mul(grad, sin(x)))],
  erf: (grad, { x }) => [mul(grad, mul(exp(neg(mul(x, x))), 2 / Math.sqrt(Math.PI)))],
  reciprocal: (grad, { out }) => [neg(mul(grad, mul(out, out)))],
  not: nonDifferentiable,
  add: (grad) => [grad, grad],
  sub: (grad, { b }) => [grad, b.requiresGrad ? neg(grad) : null],
  mul: (grad, { a, b }) => [a.requiresGrad ? mul(grad, b) : null, b.requiresGrad ? mul(grad, a) : null],
  div: (grad, { a, b, out }) => [a.requiresGrad ? div(grad, b) : null, b.requiresGrad ? neg(mul(grad, div(out, b))) : null],
  pow: (grad, { a, b, out }) => [
    a.requiresGrad ? mul(grad, mul(b, pow(a, sub(b, 1)))) : null,
    b.requiresGrad ? mul(grad, mul(out, log(a))) : null,
  ],
  // The gradient goes to `a` where `a >= b` (maximum) or `a <= b` (minimum), else to `b`.
  maximum: (grad, { a, b }) => {
    const pick = ge(a, b);
    return [where(pick, grad, 0), where(pick, 0, grad)];
  },
  minimum: (grad, { a, b }) => {
    const pick = le(a, b);
    return [where(pick, grad, 0), where(pick, 0, grad)];
  },
  eq: nonDifferentiable,
  ne: nonDifferentiable,
  lt: nonDifferentiable,
  le: nonDifferentiable,
  gt: nonDifferentiable,
  ge: nonDifferentiable,
  and: nonDifferentiable,
  or: nonDifferentiable,
  where: (grad, { condition, a, b }) => [a.requiresGrad ? where(condition, grad, 0) : null, b.requiresGrad ? where(condition, 0, grad) : null],
};

function operand(value: Operand, like: Tensor): Tensor {
  return value instanceof Tensor ? value : full([], value, { backend: like.backend, dtype: 'float32' });
}

function unary(op: UnaryOp, x: Tensor): Tensor {
  const out = runKernel(x.backend, 'unary', { op, x: x.view }, x.shape, op === 'not' ? 'bool' : 'float32');
  return recordOp(elementwiseRules, op, out, [x], { x, out });
}

const boolOps = new Set<BinaryOp>(['eq', 'ne', 'lt', 'le', 'gt', 'ge', 'and', 'or', 'xor']);

function binary(op: BinaryOpName, left: Operand, right: Operand): Tensor {
  const like = left instanceof Tensor ? left : (right as Tensor);
  const a = operand(left, like);
  const b = operand(right, like);
  const backend = backendOf(op, [a, b]);
  const shape = broadcastShapes(op, a.shape, b.shape);
  const out = runKernel(
    backend,
    'binary',
    {
      op,
      a: { ...a.view, shape, strides: broadcastStrides(a.shape, a.strides, shape) },
      b: { ...b.view, shape, strides: broadcastStrides(b.shape, b.strides, shape) },
      shape,
    },
    shape,
    boolOps.has(op) ? 'bool' : 'float32',
  );
  return recordOp(elementwiseRules, op, out, [a, b], { a, b, out });
}

/** `a + b` with broadcasting. @example `add(tensor([1, 2]), 1).toArray() // [2, 3]` */
export function add(a: Operand, b: Operand): Tensor {
  return binary('add', a, b);
}

/** `a - b` with broadcasting. @example `sub(x, y)` */
export function sub(a: Operand, b: Operand): Tensor {
  return binary('sub', a, b);
}

/** `a * b` with broadcasting. @example `mul(x, 2)` */
export function mul(a: Operand, b: Operand): Tensor {
  return binary('mul', a, b);
}

/** `a / b` with broadcasting. @example `div(x, 4)` */
export function div(a: Operand, b: Operand): Tensor {
  return binary('div', a, b);
}

/** `a ** b` with broadcasting. @example `pow(x, 2)` */
export function pow(a: Operand, b: Operand): Tensor {
  return binary('pow', a, b);
}

/** Elementwise maximum; the gradient goes to `a` where `a >= b`. @example `maximum(x, 0)` */
export function maximum(a: Operand, b: Operand): Tensor {
  return binary('maximum', a, b);
}

/** Elementwise minimum; the gradient goes to `a` where `a <= b`. @example `minimum(x, 1)` */
export function minimum(a: Operand, b: Operand): Tensor {
  return binary('minimum', a, b);
}

/** `a == b` (bool). @example `eq(x, 0)` */
export function eq(a: Operand, b: Operand): Tensor { return binary('eq', a, b); }
/** `a != b` (bool). */
export function ne(a: Operand, b: Operand): Tensor { return binary('ne', a, b); }
/** `a < b` (bool). */
export function lt(a: Operand, b: Operand): Tensor { return binary('lt', a, b); }
/** `a <= b` (bool). */
export function le(a: Operand, b: Operand): Tensor { return binary('le', a, b); }
/** `a > b` (bool). */
export function gt(a: Operand, b: Operand): Tensor { return binary('gt', a, b); }
/** `a >= b` (bool). */
export function ge(a: Operand, b: Operand): Tensor { return binary('ge', a, b); }

function requireBool(op: string, argument: string, x: Tensor): void {
  if (x.dtype !== 'bool') throw new DTypeError(op, argument, 'bool', x.dtype);
}

/** Logical and of two bool tensors. @example `logicalAnd(causalMask, paddingMask)` */
export function logicalAnd(a: Tensor, b: Tensor): Tensor {
  requireBool('logicalAnd', 'a', a);
  requireBool('logicalAnd', 'b', b);
  return binary('and', a, b);
}

/** Logical or of two bool tensors. */
export function logicalOr(a: Tensor, b: Tensor): Tensor {
  requireBool('logicalOr', 'a', a);
  requireBool('logicalOr', 'b', b);
  return binary('or', a, b);
}

/** Logical not of a bool tensor. */
export function logicalNot(x: Tensor): Tensor {
  requireBool('logicalNot', 'x', x);
  return unary('not', x);
}

/**
 * `condition ? a : b` elementwise with broadcasting; gradients flow to the branch taken.
 *
 * @example
 * ```ts
 * where(x.gt(0), x, 0); // relu
 * ```
 */
export function where(condition: Tensor, a: Operand, b: Operand): Tensor {
  requireBool('where', 'condition', condition);
  const like = a instanceof Tensor ? a : b instanceof Tensor ? b : condition;
  const first = operand(a, like);
  const second = operand(b, like);
  const backend = backendOf('where', [condition, first, second]);
  const shape = broadcastShapes('where', condition.shape, first.shape, second.shape);
  const out = runKernel(
    backend,
    'where',
    {
      condition: { ...condition.view, shape, strides: broadcastStrides(condition.shape, condition.strides, shape) },
      a: { ...first.view, shape, strides: broadcastStrides(first.shape, first.strides, shape) },
      b: { ...second.view, shape, strides: broadcastStrides(second.shape, second.strides, shape) },
      shape,
    },
    shape,
    first.dtype === 'float32' || second.dtype === 'float32' ? 'float32' : first.dtype,
  );
  return recordOp(elementwiseRules, 'where', out, [first, second], { condition, a: first, b: second });
}

/**
 * `value` where `mask` is true, `x` elsewhere (PyTorch's `masked_fill`). Never mutates `x`.
 *
 * @example
 * ```ts
 * scores.maskedFill(mask.logicalNot(), -Infinity);
 * ```
 */
export function maskedFill(x: Tensor, mask: Tensor, value: number): Tensor {
  requireBool('maskedFill', 'mask', mask);
  return where(mask, value, x);
}

/** `-x`. */
export function neg(x: Tensor): Tensor { return unary('neg', x); }
/** `e^x`. */
export function exp(x: Tensor): Tensor { return unary('exp', x); }
/** Natural logarithm. */
export function log(x: Tensor): Tensor { return unary('log', x); }
/** Square root. */
export function sqrt(x: Tensor): Tensor { return unary('sqrt', x); }
/** Hyperbolic tangent. */
export function tanh(x: Tensor): Tensor { return unary('tanh', x); }
/** Logistic sigmoid `1 / (1 + e^-x)`. */
export function sigmoid(x: Tensor): Tensor { return unary('sigmoid', x); }
/** `max(x, 0)`. */
export function relu(x: Tensor): Tensor { return unary('relu', x); }
/** `|x|`. */
export function abs(x: Tensor): Tensor { return unary('abs', x); }
/** -1, 0 or 1 (no gradient). */
export function sign(x: Tensor): Tensor { return unary('sign', x); }
/** Sine. */
export function sin(x: Tensor): Tensor { return unary('sin', x); }
/** Cosine. */
export function cos(x: Tensor): Tensor { return unary('cos', x); }
/** `1 / x`. */
export function reciprocal(x: Tensor): Tensor { return unary('reciprocal', x); }
/** The error function. */
export function erf(x: Tensor): Tensor { return unary('erf', x); }

/** Clamps to `[min, max]` (either bound optional); gradient 1 inside the range. @example `clamp(x, 0, 1)` */
export function clamp(x: Tensor, min?: number, max?: number): Tensor {
  let out = x;
  if (min !== undefined) out = maximum(out, min);
  if (max !== undefined) out = minimum(out, max);
  return out;
}

/** GELU with the exact erf form (PyTorch's default `gelu`): `x · Φ(x)`. @example `gelu(x)` */
export function gelu(x: Tensor): Tensor {
  return mul(mul(x, 0.5), add(erf(mul(x, Math.SQRT1_2)), 1));
}

/** `log(1 + e^x)`, computed stably. @example `softplus(x)` */
export function softplus(x: Tensor): Tensor {
  return add(relu(x), log(add(exp(neg(abs(x))), 1)));
}

/** ELU with `alpha` = 1 by default: `x` for x > 0, `alpha (e^x - 1)` otherwise. @example `elu(x)` */
export function elu(x: Tensor, alpha = 1): Tensor {
  return where(gt(x, 0), x, mul(sub(exp(minimum(x, 0)), 1), alpha));
}
