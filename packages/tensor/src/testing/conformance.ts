import type { Backend, FusedKernelName, KernelName } from '../backend.js';
import { withBackend } from '../backend-registry.js';
import { cpuBackend } from '../cpu/cpu-backend.js';
import * as ops from '../index.js';
import { Generator, randn } from '../random.js';
import { Tensor } from '../tensor.js';
import { compareArrays } from './allclose.js';
import { fusedConformanceCases } from './fused-conformance.js';

/** Every kernel a backend may implement: the required ones and the optional fused ones. */
export type ConformanceKernelName = KernelName | FusedKernelName;

/** One conformance case: a computation that must give the same numbers on every backend. */
export interface ConformanceCase {
  name: string;
  /** The kernel the case is there for (it may run others on the way). */
  kernel: ConformanceKernelName;
  /** Builds inputs with the seeded `generator` on the current backend and returns results. */
  run: (generator: Generator) => Tensor | readonly Tensor[];
  /** Skip unless the backend supports this fused kernel. */
  requires?: FusedKernelName;
  /**
   * The expected results from an independent oracle (plain float64 loops, testing/oracles.ts),
   * given the same seeded generator. Without one, the expected results are the CPU backend's
   * plain JS kernels', so for the plain JS path itself such a case checks nothing.
   */
  oracle?: (generator: Generator) => readonly ArrayLike<number>[];
}

/** A kernel's cases, without the `kernel` field the table supplies. */
export type KernelCases = readonly Omit<ConformanceCase, 'kernel'>[];

const r = (shape: number[], generator: Generator): Tensor => randn(shape, { generator });
const grads = (fn: (...inputs: Tensor[]) => Tensor, inputs: Tensor[]): Tensor[] => {
  for (const input of inputs) input.requiresGrad = true;
  const out = fn(...inputs);
  out.sum().backward();
  return [out, ...inputs.map((input) => input.grad!)];
};

/**
 * The backend conformance suite, keyed by kernel name: every required and fused kernel has
 * cases (a kernel without one is a type error), with broadcasting, strided views and edge shapes
 * (0-d, size 1, empty), plus gradients through them. The fused recurrent and attention kernels
 * are checked against independent float64 oracles.
 *
 * @example
 * ```ts
 * for (const testCase of conformanceCasesByKernel().lstmSequence) console.log(testCase.name);
 * ```
 */
export function conformanceCasesByKernel(): { readonly [K in ConformanceKernelName]: KernelCases } {
  const unary = ['neg', 'exp', 'tanh', 'sigmoid', 'relu', 'abs', 'sin', 'cos', 'erf', 'gelu'] as const;
  const binary = ['add', 'sub', 'mul', 'div', 'maximum', 'minimum'] as const;
  const compare = ['eq', 'ne', 'lt', 'le', 'gt', 'ge'] as const;
  return {
    fill: [
      { name: 'fill: full, zeros, ones of each dtype', run: () => [ops.full([2, 3], 1.5), ops.zeros([4]), ops.ones([2, 2], { dtype: 'int32' }).float(), ops.full([3], 1, { dtype: 'bool' }).float(), ops.full([], -2)] },
    ],
    contiguous: [
      { name: 'permute, expand, reshape of views', run: (g) => { const x = r([2, 3, 4], g); return [x.permute([2, 0, 1]).contiguous(), r([3, 1], g).expand([2, 3, 4]).contiguous(), x.transpose(0, 2).reshape([4, 6])]; } },
      { name: 'casts', run: (g) => { const x = r([6], g).mul(3); return [x.int().float(), x.gt(0).float()]; } },
    ],
    unary: [
      ...unary.map((name) => ({ name: `unary ${name}`, run: (g: Generator) => ops[name](r([3, 5], g)) })),
      { name: 'unary log/sqrt of positives', run: (g) => [ops.log(r([4, 4], g).abs().add(0.1)), ops.sqrt(r([4, 4], g).abs())] },
      { name: 'unary not', run: (g) => r([4], g).gt(0).logicalNot().float() },
    ],
    binary: [
      ...binary.map((name) => ({ name: `binary ${name} broadcast [2,1,4]×[3,1]`, run: (g: Generator) => ops[name](r([2, 1, 4], g), r([3, 1], g)) })),
      ...compare.map((name) => ({ name: `compare ${name}`, run: (g: Generator) => ops[name](r([3, 4], g), r([4], g)).float() })),
      { name: 'pow with positive base', run: (g) => ops.pow(r([3, 3], g).abs().add(0.5), r([3, 3], g)) },
      { name: 'binary with a scalar', run: (g) => [r([5], g).mul(3), r([5], g).add(-2)] },
      { name: '0-d and size-1 operands', run: (g) => [r([], g).add(r([], g)), r([1], g).mul(r([4, 1], g))] },
      { name: 'empty tensors', run: (g) => [r([0, 3], g).add(1), r([2, 0], g).sum(1)] },
      { name: 'strided (transposed) operands', run: (g) => r([3, 4], g).transpose(0, 1).add(r([4, 3], g)) },
      { name: 'sliced operand with step', run: (g) => r([6, 5], g).slice(0, 1, 6, 2).mul(2) },
      { name: 'logical ops', run: (g) => { const a = r([4], g).gt(0); const b = r([4], g).gt(0); return [a.logicalAnd(b).float(), a.logicalOr(b).float()]; } },
    ],
    where: [
      { name: 'where and maskedFill', run: (g) => { const x = r([4, 5], g); return [ops.where(x.gt(0), x, r([5], g)), x.maskedFill(x.lt(0), -1)]; } },
    ],
    reduce: [
      ...[0, 1, 2].map((axis) => ({ name: `sum/max/min/argmax over axis ${axis}`, run: (g: Generator) => { const x = r([3, 4, 5], g); return [x.sum(axis), x.max(axis), x.min(axis), x.argmax(axis).float(), x.argmin(axis).float()]; } })),
      { name: 'reductions over all axes and keepDim', run: (g) => { const x = r([3, 4], g); return [x.sum(), x.mean([0, 1], true), ops.logSumExp(x, 1), ops.variance(x, 0)]; } },
    ],
    matmul: [
      { name: 'matmul 2-D', run: (g) => ops.matmul(r([7, 5], g), r([5, 3], g)) },
      { name: 'matmul batched with broadcast', run: (g) => ops.matmul(r([2, 3, 4, 6], g), r([6, 5], g)) },
      { name: 'matmul transposed operand', run: (g) => ops.matmul(r([2, 5, 4], g), r([2, 3, 4], g).transpose(-2, -1)) },
      { name: 'matmul vectors', run: (g) => [ops.matmul(r([4], g), r([4, 3], g)), ops.matmul(r([3, 4], g), r([4], g))] },
      { name: 'matmul 64×64 (blocked path)', run: (g) => ops.matmul(r([67, 130], g), r([130, 65], g)) },
      { name: 'gradients: matmul → tanh → softmax', run: (g) => grads((a, b) => ops.softmax(ops.matmul(a, b).tanh(), -1), [r([3, 4], g), r([4, 5], g)]) },
    ],
    softmax: [
      { name: 'softmax and logSoftmax, large logits', run: (g) => { const x = r([3, 6], g).mul(1e4); return [ops.softmax(x), ops.logSoftmax(x), ops.softmax(r([4, 3, 2], g), 1)]; } },
      { name: 'softmax of a fully -inf row is zeros', run: () => ops.softmax(ops.tensor([[0, 1], [-Infinity, -Infinity]])) },
    ],
    gather: [
      { name: 'gather and scatterAdd', run: (g) => { const x = r([3, 5], g); const index = ops.tensor([[0, 4], [1, 1], [3, 2]], { dtype: 'int32' }); return [ops.gather(x, 1, index), ops.scatterAdd(ops.zeros([3, 5]), 1, index, r([3, 2], g))]; } },
      { name: 'indexSelect and embedding', run: (g) => [ops.indexSelect(r([5, 3], g), 0, ops.tensor([4, 0, 4], { dtype: 'int32' })), ops.embedding(ops.tensor([[1, 2]], { dtype: 'int32' }), r([3, 4], g))] },
    ],
    scatterAdd: [
      { name: 'scatterAdd with repeated indices, and the gradients of gather', run: (g) => grads((a, b) => ops.gather(a.mul(b).logSoftmax(-1), 1, ops.tensor([[1], [0], [2]], { dtype: 'int32' })).add(a.max(1, true)), [r([3, 4], g), r([4], g)]) },
    ],
    concat: [
      { name: 'concat, stack, split, pad', run: (g) => { const a = r([2, 3], g); const b = r([2, 2], g); return [ops.concat([a, b], 1), ops.stack([a, a], 0), ...ops.split(a, 2, 1), ops.pad(a, [1, 2, 0, 1], 0.5)]; } },
    ],
    ...fusedConformanceCases(),
  };
}

/**
 * The backend conformance suite as one list (every case of {@link conformanceCasesByKernel},
 * each naming its kernel). A backend passes when each case matches its oracle, or the CPU
 * backend's plain JS kernels, within tolerance; run it with {@link runConformanceCase}.
 *
 * @example
 * ```ts
 * const names = backendConformanceCases().map((testCase) => `${testCase.kernel}: ${testCase.name}`);
 * ```
 */
export function backendConformanceCases(): ConformanceCase[] {
  const table = conformanceCasesByKernel();
  return (Object.keys(table) as ConformanceKernelName[]).flatMap((kernel) => table[kernel].map((testCase) => ({ ...testCase, kernel })));
}

/** A case's expected results: its oracle's, else the CPU backend's plain JS kernels'. */
function expected(testCase: ConformanceCase): readonly ArrayLike<number>[] {
  if (testCase.oracle) return testCase.oracle(new Generator(1234));
  return withBackend(cpuBackend({ simd: false }), () => {
    const out = testCase.run(new Generator(1234));
    const list = out instanceof Tensor ? [out] : [...out];
    return list.map((tensor) => Float32Array.from(tensor.float().dataSync()));
  });
}

/**
 * Runs a conformance case on `backend` and compares it with the case's oracle, or else with the
 * CPU backend's plain JS kernels (the reference path) run with the same seed and compares every result (`abs` + `rel`·|want|, default 1e-4 each).
 * Returns null on success or a message.
 */
export function runConformanceCase(testCase: ConformanceCase, backend: Backend, tolerance = { abs: 1e-4, rel: 1e-4 }): string | null {
  const results = (target: Backend): Promise<Float32Array[]> | Float32Array[] =>
    withBackend(target, () => {
      const out = testCase.run(new Generator(1234));
      const list = out instanceof Tensor ? [out] : [...out];
      return list.map((tensor) => Float32Array.from(tensor.float().dataSync()));
    });
  const got = results(backend) as Float32Array[];
  const want = expected(testCase);
  if (got.length !== want.length) return `${got.length} results, want ${want.length}`;
  for (let index = 0; index < want.length; index++) {
    const comparison = compareArrays(got[index], want[index], tolerance);
    if (!comparison.ok) return `result ${index}: ${comparison.message}`;
  }
  return null;
}

/**
 * {@link runConformanceCase} for backends that read asynchronously (WebGPU): reads every result
 * with `await tensor.data()`. Works on synchronous backends too.
 *
 * @example
 * ```ts
 * for (const testCase of backendConformanceCases()) console.log(testCase.name, await runConformanceCaseAsync(testCase, backend));
 * ```
 */
export async function runConformanceCaseAsync(testCase: ConformanceCase, backend: Backend, tolerance = { abs: 1e-4, rel: 1e-4 }): Promise<string | null> {
  const reads = withBackend(backend, () => {
    const out = testCase.run(new Generator(1234));
    const list = out instanceof Tensor ? [out] : [...out];
    return list.map((tensor) => tensor.float().data());
  });
  const got = (await Promise.all(reads)).map((data) => Float32Array.from(data));
  const want = expected(testCase);
  if (got.length !== want.length) return `${got.length} results, want ${want.length}`;
  for (let index = 0; index < want.length; index++) {
    const comparison = compareArrays(got[index], want[index], tolerance);
    if (!comparison.ok) return `result ${index}: ${comparison.message}`;
  }
  return null;
}
