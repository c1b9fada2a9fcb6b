import { nonDifferentiable } from '../autograd.js';
import { elementwiseRules } from './elementwise.js';
import { flashAttentionRules } from './flash-attention-blocks.js';
import { indexingRules } from './indexing.js';
import { matmulRules } from './matmul.js';
import { movementRules } from './movement.js';
import type { GradRules, OpName } from './op-set.js';
import { reduceRules } from './reduce.js';
import { softmaxRules } from './softmax.js';

/**
 * Every op's gradient rule, typed over the closed op set: a missing op is a compile error, and
 * an op without a gradient says so with {@link nonDifferentiable} (jax-js's
 * `jvpRules: { [P in Primitive]: … }`). The rules themselves live beside their forwards, one
 * table per op file; this table only gathers them, for the type check and for introspection.
 *
 * @example
 * ```ts
 * isDifferentiable('argmax'); // false
 * ```
 */
export const gradRules: GradRules<OpName> = {
  ...elementwiseRules,
  ...reduceRules,
  ...matmulRules,
  ...softmaxRules,
  ...indexingRules,
  ...movementRules,
  ...flashAttentionRules,
};

/** Every op name, in the order of {@link gradRules}. */
export const opNames = Object.keys(gradRules) as OpName[];

/** Whether op `op` has a gradient rule (false for the ops marked `nonDifferentiable`). @example `isDifferentiable('matmul') // true` */
export function isDifferentiable(op: OpName): boolean {
  return gradRules[op] !== nonDifferentiable;
}
