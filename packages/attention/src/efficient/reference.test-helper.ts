/**
 * Plain references for the efficient-attention tests: full `L × S` attention with an explicit
 * mask, and helpers to draw random inputs and compare gradients.
 */
import { Generator, Tensor, cpuBackend, getBackend, randn, where, type Backend } from '@heed/tensor';
import { assertAllclose } from '@heed/tensor/testing';

/** Full softmax attention `softmax(q kᵀ · scale, masked) v`, the L × S way. */
export function denseAttention(query: Tensor, key: Tensor, value: Tensor, keep: Tensor | null, scale?: number): Tensor {
  const scores = query.matmul(key.transpose(-2, -1)).mul(scale ?? 1 / Math.sqrt(query.shape[query.rank - 1]));
  return (keep ? where(keep, scores, -Infinity) : scores).softmax(-1).matmul(value);
}

/** The bottom-right causal keep-mask `[L, S]` (`j <= i + S - L`), with an optional `[before, after]` window. */
export function positionMask(queryLength: number, keyLength: number, causal: boolean, window: readonly [number, number] | null = null): Tensor {
  const data = new Uint8Array(queryLength * keyLength);
  for (let row = 0; row < queryLength; row++) {
    const position = row + keyLength - queryLength;
    for (let column = 0; column < keyLength; column++) {
      const ok = (!causal || column <= position) && (!window || (column >= position - window[0] && column <= position + window[1]));
      data[row * keyLength + column] = ok ? 1 : 0;
    }
  }
  return Tensor.fromData(data, [queryLength, keyLength], 'bool', getBackend());
}

/** Random float32 leaves that require grad. */
export function leaves(generator: Generator, ...shapes: number[][]): Tensor[] {
  return shapes.map((shape) => randn(shape, { generator }).requiresGrad_());
}

/** A random bool mask of `shape` with about `density` true. */
export function randomMask(generator: Generator, shape: number[], density = 0.7): Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  const data = Uint8Array.from({ length: size }, () => (generator.nextFloat() < density ? 1 : 0));
  return Tensor.fromData(data, shape, 'bool', getBackend());
}

/** Runs `fn` on fresh copies of `inputs`, backpropagates `seed`, returns output and input grads. */
export function withGrads(fn: (...inputs: Tensor[]) => Tensor, inputs: Tensor[], seed: Generator): { output: Tensor; grads: Tensor[] } {
  const copies = inputs.map((input) => Tensor.fromData(Float32Array.from(input.dataSync()), input.shape, 'float32', getBackend()).requiresGrad_());
  const output = fn(...copies);
  const upstream = randn([...output.shape], { generator: seed });
  output.backward(upstream);
  return { output, grads: copies.map((copy) => copy.grad ?? copy.zerosLike()) };
}

/** Asserts that `fn` and `reference` agree in output and in every input's gradient. */
export function expectSameAttention(
  fn: (...inputs: Tensor[]) => Tensor,
  reference: (...inputs: Tensor[]) => Tensor,
  inputs: Tensor[],
  tolerance = { abs: 2e-5, rel: 2e-4 },
): void {
  const got = withGrads(fn, inputs, new Generator(11));
  const want = withGrads(reference, inputs, new Generator(11));
  assertAllclose(got.output, want.output, tolerance);
  got.grads.forEach((grad, index) => {
    for (const value of grad.dataSync()) if (!Number.isFinite(value)) throw new Error(`gradient ${index} has a non-finite value ${value}`);
    assertAllclose(grad, want.grads[index], tolerance);
  });
}

/** The CPU backend without its fused attention kernels, to exercise the composed paths. */
export function backendWithoutFusedKernels(): Backend {
  const base = cpuBackend();
  return {
    name: 'cpu',
    specVersion: 1,
    upload: (data, dtype) => base.upload(data, dtype),
    read: (handle, dtype, size) => base.read(handle as never, dtype, size),
    readSync: (handle, dtype, size) => base.readSync!(handle as never, dtype, size),
    dispose: () => undefined,
    run: (kernel, args) => base.run(kernel, args as never),
  };
}
