import { noGrad } from '../autograd.js';
import { Tensor } from '../tensor.js';
import { Generator } from '../random.js';

/** Options of {@link gradcheck}. */
export interface GradcheckOptions {
  /** Finite-difference step (default 1e-3; float32 needs a step this large). */
  eps?: number;
  atol?: number;
  rtol?: number;
  /** Seed for the random output weights that turn the output into a scalar. */
  seed?: number;
}

/** The result of {@link gradcheck}: `ok`, and a description of the worst element otherwise. */
export interface GradcheckResult {
  ok: boolean;
  message: string;
  maxError: number;
}

/**
 * Compares autograd's gradients of `fn` with central finite differences, input by input and
 * element by element. The output is reduced to a scalar with fixed random weights so every
 * output element matters. Inputs must be float32 leaves; ints and bools are passed through.
 *
 * @example
 * ```ts
 * const result = gradcheck((a, b) => a.matmul(b).tanh(), [randn([3, 4]), randn([4, 2])]);
 * if (!result.ok) throw new Error(result.message);
 * ```
 */
export function gradcheck(fn: (...inputs: Tensor[]) => Tensor, inputs: readonly Tensor[], options: GradcheckOptions = {}): GradcheckResult {
  const eps = options.eps ?? 1e-3;
  const atol = options.atol ?? 2e-3;
  const rtol = options.rtol ?? 2e-2;
  const hosts = inputs.map((input) => Float64Array.from(input.dataSync()));
  const make = (values: Float64Array[], requiresGrad: boolean): Tensor[] =>
    inputs.map((input, index) => {
      if (input.dtype !== 'float32') return input;
      const tensor = Tensor.fromData(Float32Array.from(values[index]), input.shape, 'float32', input.backend);
      if (requiresGrad) tensor.requiresGrad = true;
      return tensor;
    });
  const leaves = make(hosts, true);
  const output = fn(...leaves);
  const generator = new Generator(options.seed ?? 7);
  const weights = Float64Array.from({ length: output.size }, () => generator.nextNormal());
  const weightTensor = Tensor.fromData(Float32Array.from(weights), output.shape, 'float32', output.backend);
  const scalarOf = (out: Tensor): number => {
    const values = out.dataSync();
    let total = 0;
    for (let index = 0; index < values.length; index++) total += values[index] * weights[index];
    return total;
  };
  output.mul(weightTensor).sum().backward();
  let maxError = 0;
  for (let which = 0; which < inputs.length; which++) {
    if (inputs[which].dtype !== 'float32') continue;
    const analytic = leaves[which].grad?.dataSync() ?? new Float32Array(inputs[which].size);
    const values = hosts[which];
    for (let element = 0; element < values.length; element++) {
      const original = values[element];
      values[element] = original + eps;
      const plus = noGrad(() => scalarOf(fn(...make(hosts, false))));
      values[element] = original - eps;
      const minus = noGrad(() => scalarOf(fn(...make(hosts, false))));
      values[element] = original;
      const numeric = (plus - minus) / (2 * eps);
      const error = Math.abs(numeric - analytic[element]);
      maxError = Math.max(maxError, error);
      if (!(error <= atol + rtol * Math.abs(numeric))) {
        return {
          ok: false,
          maxError,
          message: `input ${which}, element ${element}: autograd ${analytic[element]}, finite difference ${numeric}`,
        };
      }
    }
  }
  return { ok: true, message: `max error ${maxError.toExponential(2)}`, maxError };
}
