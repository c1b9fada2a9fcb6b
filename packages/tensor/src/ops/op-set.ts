import { nonDifferentiable, record, type GradRule, type NonDifferentiable } from '../autograd.js';
import type { Shape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import type { AttentionKeepRule } from './flash-attention-blocks.js';

/** What a unary op's rule sees: its input and its result. */
interface UnarySaved {
  x: Tensor;
  out: Tensor;
}
/** What a binary op's rule sees: both (broadcast-free) operands and the result. */
interface BinarySaved {
  a: Tensor;
  b: Tensor;
  out: Tensor;
}
/** Saved by ops whose rule needs nothing (the gradient passes through). */
type NothingSaved = Record<never, never>;

/**
 * What each op of `@heed/tensor` records for its gradient rule, keyed by op name (for example
 * `OpSaved['matmul']` is `{ a, b }`). The keys are
 * the closed op set ({@link OpName}): every op whose result can carry a grad node, plus the ops
 * marked {@link nonDifferentiable}. Adding a key here makes `gradRules` (ops/grad-rules.ts) and
 * the gradcheck over every op (grad-rules.test.ts) fail to compile until the op has a rule (or
 * the marker) and a test case.
 */
export interface OpSaved {
  // Elementwise, one argument (ops/elementwise.ts).
  neg: UnarySaved;
  exp: UnarySaved;
  log: UnarySaved;
  sqrt: UnarySaved;
  tanh: UnarySaved;
  sigmoid: UnarySaved;
  relu: UnarySaved;
  abs: UnarySaved;
  sign: UnarySaved;
  sin: UnarySaved;
  cos: UnarySaved;
  erf: UnarySaved;
  reciprocal: UnarySaved;
  not: UnarySaved;
  // Elementwise, two broadcast arguments (ops/elementwise.ts).
  add: BinarySaved;
  sub: BinarySaved;
  mul: BinarySaved;
  div: BinarySaved;
  pow: BinarySaved;
  maximum: BinarySaved;
  minimum: BinarySaved;
  eq: BinarySaved;
  ne: BinarySaved;
  lt: BinarySaved;
  le: BinarySaved;
  gt: BinarySaved;
  ge: BinarySaved;
  and: BinarySaved;
  or: BinarySaved;
  where: { condition: Tensor; a: Tensor; b: Tensor };
  // Reductions (ops/reduce.ts).
  sum: { x: Tensor };
  max: { x: Tensor; kept: Tensor; axes: readonly number[] };
  min: { x: Tensor; kept: Tensor; axes: readonly number[] };
  argmax: NothingSaved;
  argmin: NothingSaved;
  // Products and softmax (ops/matmul.ts, ops/softmax.ts).
  matmul: { a: Tensor; b: Tensor };
  softmax: { out: Tensor };
  logSoftmax: { out: Tensor };
  // Indexing (ops/indexing.ts).
  gather: { shape: Shape; axis: number; index: Tensor };
  scatterAdd: { axis: number; index: Tensor };
  // Movement and copies (ops/movement.ts).
  contiguous: NothingSaved;
  clone: NothingSaved;
  cast: NothingSaved;
  reshape: { shape: Shape };
  permute: { inverse: readonly number[] };
  expand: { shape: Shape };
  unsqueeze: { shape: Shape };
  slice: { shape: Shape; axis: number; from: number; to: number; step: number; length: number };
  concat: { tensors: readonly Tensor[]; axis: number };
  // Attention (ops/flash-attention.ts, ops/flash-attention-blocks.ts).
  flashAttention: {
    query: Tensor;
    key: Tensor;
    value: Tensor;
    rule: AttentionKeepRule;
    scale: number;
    /** Query rows per block of the composed gradient. */
    blockRows: number;
    output: Tensor;
    /** The fused backward kernel over the forward's saved log-sum-exp, when the forward ran fused. */
    kernelBackward: ((grad: Tensor) => [Tensor, Tensor, Tensor]) | null;
  };
}

/**
 * The closed set of `@heed/tensor`'s ops (the names their grad nodes carry).
 *
 * @example
 * ```ts
 * const op: OpName = 'matmul';
 * isDifferentiable(op); // true
 * ```
 */
export type OpName = keyof OpSaved;

/**
 * The gradient rule of op `K`: maps d loss / d output (and what the op saved) to d loss / d each
 * input, in the order of the inputs the op recorded (`null` for an input that needs none).
 *
 * @example
 * ```ts
 * const tanhRule: OpGradRule<'tanh'> = (grad, { out }) => [grad.mul(out.mul(out).neg().add(1))];
 * ```
 */
export type OpGradRule<K extends OpName> = (grad: Tensor, saved: OpSaved[K]) => readonly (Tensor | null)[];

/**
 * A rule table over some ops: each has a rule or the explicit {@link nonDifferentiable} marker;
 * a missing key is a type error. `GradRules<OpName>` is the whole table (`gradRules`).
 *
 * @example
 * ```ts
 * const rules: GradRules<'neg' | 'sign'> = { neg: (grad) => [grad.neg()], sign: nonDifferentiable };
 * ```
 */
export type GradRules<K extends OpName> = { readonly [P in K]: OpGradRule<P> | NonDifferentiable };

/**
 * Records op `op`'s result with the rule from `rules` (its file's table), bound to `saved`.
 * The op files call this, never `record` itself, so every op's rule comes from a typed table.
 * Internal to `@heed/tensor` (other packages call `record`).
 *
 * @example
 * ```ts
 * return recordOp(elementwiseRules, 'exp', out, [x], { x, out });
 * ```
 */
export function recordOp<K extends OpName>(
  rules: GradRules<K>,
  op: K,
  output: Tensor,
  inputs: readonly Tensor[],
  saved: OpSaved[K],
): Tensor {
  const rule = rules[op];
  const backward: GradRule | NonDifferentiable = rule === nonDifferentiable ? nonDifferentiable : (grad) => rule(grad, saved);
  return record(op, output, inputs, backward);
}
