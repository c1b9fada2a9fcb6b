import { describe, expect, it } from 'vitest';
import { nonDifferentiable, record } from '../autograd.js';
import { GradientError } from '../errors.js';
import * as ops from '../index.js';
import { Generator, randn, tensor, type Tensor } from '../index.js';
import { gradcheck } from '../testing/index.js';
import { elementwiseRules } from './elementwise.js';
import { flashAttentionRules } from './flash-attention-blocks.js';
import { gradRules, isDifferentiable, opNames } from './grad-rules.js';
import { indexingRules } from './indexing.js';
import { movementRules } from './movement.js';
import type { GradRules, OpName } from './op-set.js';
import { reduceRules } from './reduce.js';
import { softmaxRules } from './softmax.js';

const generator = new Generator(17);
const r = (...shape: number[]): Tensor => randn(shape, { generator });
const positive = (...shape: number[]): Tensor => r(...shape).abs().add(0.5);
/** Values at least 0.2 from 0 (for relu and abs) and from each other (for max and min). */
const spread = (...shape: number[]): Tensor => {
  const size = shape.reduce((product, s) => product * s, 1);
  const values = Array.from({ length: size }, (_, i) => (i % 2 === 0 ? 1 : -1) * (0.3 + 0.37 * ((i * 7) % size)));
  return tensor(values, { shape });
};
const int = (values: number[][]): Tensor => tensor(values, { dtype: 'int32' });

/** A differentiable op's case: inputs, and a computation that goes through the op. */
interface GradientCase {
  inputs: () => Tensor[];
  fn: (...inputs: Tensor[]) => Tensor;
}
/** A non-differentiable op's case: a computation whose result must not require grad. */
interface MarkedCase {
  nonDifferentiable: (x: Tensor) => Tensor;
}

/**
 * One case per op name: typed over `OpName`, so an op added to the set without a case is a
 * compile error here, and one whose case does not reach the op fails the graph check below.
 */
const cases: Record<OpName, GradientCase | MarkedCase> = {
  neg: { inputs: () => [r(2, 3)], fn: (x) => ops.neg(x) },
  exp: { inputs: () => [r(2, 3)], fn: (x) => ops.exp(x) },
  log: { inputs: () => [positive(2, 3)], fn: (x) => ops.log(x) },
  sqrt: { inputs: () => [positive(2, 3)], fn: (x) => ops.sqrt(x) },
  tanh: { inputs: () => [r(2, 3)], fn: (x) => ops.tanh(x) },
  sigmoid: { inputs: () => [r(2, 3)], fn: (x) => ops.sigmoid(x) },
  relu: { inputs: () => [spread(2, 3)], fn: (x) => ops.relu(x) },
  abs: { inputs: () => [spread(2, 3)], fn: (x) => ops.abs(x) },
  sign: { nonDifferentiable: (x) => ops.sign(x) },
  sin: { inputs: () => [r(2, 3)], fn: (x) => ops.sin(x) },
  cos: { inputs: () => [r(2, 3)], fn: (x) => ops.cos(x) },
  erf: { inputs: () => [r(2, 3)], fn: (x) => ops.erf(x) },
  reciprocal: { inputs: () => [positive(2, 3)], fn: (x) => ops.reciprocal(x) },
  not: { nonDifferentiable: (x) => ops.logicalNot(x.gt(0)) },
  add: { inputs: () => [r(2, 3), r(3)], fn: (a, b) => ops.add(a, b) },
  sub: { inputs: () => [r(2, 1), r(1, 3)], fn: (a, b) => ops.sub(a, b) },
  mul: { inputs: () => [r(2, 3), r(2, 1)], fn: (a, b) => ops.mul(a, b) },
  div: { inputs: () => [r(2, 3), positive(3)], fn: (a, b) => ops.div(a, b) },
  pow: { inputs: () => [positive(2, 3), r(2, 3)], fn: (a, b) => ops.pow(a, b) },
  maximum: { inputs: () => [spread(2, 3), spread(3).mul(0.5)], fn: (a, b) => ops.maximum(a, b) },
  minimum: { inputs: () => [spread(2, 3), spread(3).mul(0.5)], fn: (a, b) => ops.minimum(a, b) },
  eq: { nonDifferentiable: (x) => ops.eq(x, 0) },
  ne: { nonDifferentiable: (x) => ops.ne(x, 0) },
  lt: { nonDifferentiable: (x) => ops.lt(x, 0) },
  le: { nonDifferentiable: (x) => ops.le(x, 0) },
  gt: { nonDifferentiable: (x) => ops.gt(x, 0) },
  ge: { nonDifferentiable: (x) => ops.ge(x, 0) },
  and: { nonDifferentiable: (x) => ops.logicalAnd(x.gt(0), x.lt(1)) },
  or: { nonDifferentiable: (x) => ops.logicalOr(x.gt(0), x.lt(-1)) },
  where: { inputs: () => [r(2, 3), r(3)], fn: (a, b) => ops.where(tensor([[true, false, true], [false, false, true]]), a, b) },
  sum: { inputs: () => [r(2, 3, 4)], fn: (x) => ops.sum(x, [0, 2]) },
  max: { inputs: () => [spread(3, 4)], fn: (x) => ops.max(x, 1) },
  min: { inputs: () => [spread(3, 4)], fn: (x) => ops.min(x, 0, true) },
  argmax: { nonDifferentiable: (x) => ops.argmax(x, -1) },
  argmin: { nonDifferentiable: (x) => ops.argmin(x) },
  matmul: { inputs: () => [r(2, 3, 4), r(4, 2)], fn: (a, b) => ops.matmul(a, b) },
  softmax: { inputs: () => [r(2, 4)], fn: (x) => ops.softmax(x) },
  logSoftmax: { inputs: () => [r(2, 4)], fn: (x) => ops.logSoftmax(x) },
  gather: { inputs: () => [r(3, 4)], fn: (x) => ops.gather(x, 1, int([[0, 3], [1, 1], [2, 0]])) },
  scatterAdd: { inputs: () => [r(2, 3), r(2, 3)], fn: (x, source) => ops.scatterAdd(x, 1, int([[0, 0, 2], [1, 2, 1]]), source) },
  contiguous: { inputs: () => [r(2, 3)], fn: (x) => ops.contiguous(ops.transpose(x, 0, 1)) },
  clone: { inputs: () => [r(2, 3)], fn: (x) => ops.clone(x) },
  cast: { nonDifferentiable: (x) => ops.cast(x, 'int32') },
  reshape: { inputs: () => [r(2, 3)], fn: (x) => ops.reshape(x, [3, 2]) },
  permute: { inputs: () => [r(2, 3, 4)], fn: (x) => ops.permute(x, [2, 0, 1]) },
  expand: { inputs: () => [r(3, 1)], fn: (x) => ops.expand(x, [2, 3, 4]) },
  unsqueeze: { inputs: () => [r(2, 3)], fn: (x) => ops.unsqueeze(x, 1) },
  slice: { inputs: () => [r(2, 5)], fn: (x) => ops.mul(ops.slice(x, 1, 1, 4), ops.slice(x, 1, 0, 5, 2)) },
  concat: { inputs: () => [r(2, 3), r(2, 2)], fn: (a, b) => ops.concat([a, b], 1) },
  flashAttention: {
    inputs: () => [r(2, 3, 4), r(2, 5, 4), r(2, 5, 3)],
    // The fused forward and backward kernels, then the composed blocks (two query rows each), with a mask.
    fn: (query, key, value) => {
      const mask = tensor([[true, true, false, true, true]]);
      const fused = ops.flashAttention(query, key, value, { causal: true, mask }).output;
      const composed = ops.flashAttention(query, key, value, { causal: true, mask, implementation: 'composed', blockSize: 2 }).output;
      return fused.add(composed.mul(2));
    },
  },
};

/** Whether the graph behind `root` has a node recorded by `op`. */
function reaches(root: Tensor, op: string): boolean {
  const seen = new Set<Tensor>();
  const stack = [root];
  while (stack.length > 0) {
    const tensor = stack.pop()!;
    if (seen.has(tensor)) continue;
    seen.add(tensor);
    if (tensor.gradNode?.op === op) return true;
    stack.push(...(tensor.gradNode?.inputs ?? []));
  }
  return false;
}

describe('every op of the closed op set', () => {
  it('has exactly one case, and the rule table lists exactly the op set', () => {
    expect([...opNames].sort()).toEqual(Object.keys(cases).sort());
  });

  it.each(opNames)('%s', (op) => {
    const testCase = cases[op];
    if ('nonDifferentiable' in testCase) {
      expect(isDifferentiable(op), `${op} has a rule but its case says it has none`).toBe(false);
      expect(gradRules[op]).toBe(nonDifferentiable);
      const x = r(2, 3);
      x.requiresGrad = true;
      const out = testCase.nonDifferentiable(x);
      expect(out.requiresGrad).toBe(false);
      expect(out.gradNode).toBeNull();
      return;
    }
    expect(isDifferentiable(op), `${op} is marked nonDifferentiable but its case checks a gradient`).toBe(true);
    const inputs = testCase.inputs();
    const leaves = inputs.map((input) => {
      const leaf = input.detach();
      leaf.requiresGrad = true;
      return leaf;
    });
    expect(reaches(testCase.fn(...leaves), op), `the case for ${op} never runs ${op}`).toBe(true);
    const result = gradcheck(testCase.fn, inputs);
    expect(result.ok, result.message).toBe(true);
  });
});

describe('the rule tables are checked by the compiler', () => {
  it('rejects a table that leaves an op out', () => {
    // @ts-expect-error: `matmul` (matmulRules) is missing, so this is not a table over every OpName.
    const incomplete: GradRules<OpName> = { ...elementwiseRules, ...reduceRules, ...softmaxRules, ...indexingRules, ...movementRules, ...flashAttentionRules };
    expect(Object.keys(incomplete)).not.toContain('matmul');
  });

  it('rejects a null rule where an op has no gradient: the marker is required', () => {
    // @ts-expect-error: an op without a gradient must say nonDifferentiable, not null.
    const table: GradRules<'sign'> = { sign: null };
    expect(table.sign).toBeNull();
    const x = r(3);
    x.requiresGrad = true;
    // @ts-expect-error: record needs a rule or nonDifferentiable.
    expect(() => record('custom', ops.exp(x).detach(), [x], null)).toThrow(GradientError);
    expect(() => record('custom', ops.exp(x).detach(), [x], undefined as never)).toThrow(/no gradient rule was given/);
    expect(record('custom', ops.exp(x).detach(), [x], nonDifferentiable).requiresGrad).toBe(false);
  });
});
