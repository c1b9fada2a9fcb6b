import { noGrad } from '../autograd.js';
import { ValueError } from '../errors.js';
import { add, div, minimum, mul, sqrt } from '../ops/elementwise.js';
import { scalar } from '../ops/creation.js';
import { sum } from '../ops/reduce.js';
import type { Tensor } from '../tensor.js';

/**
 * Scales all gradients together so their global L2 norm is at most `maxNorm` (PyTorch's
 * `clip_grad_norm_`: factor `maxNorm / (norm + 1e-6)` when below 1). Returns the norm before
 * clipping as a 0-d tensor; no host read is needed, so it stays on the device.
 *
 * @example
 * ```ts
 * loss.backward();
 * clipGradNorm(model.parameters(), 1.0);
 * optimizer.step();
 * ```
 */
export function clipGradNorm(parameters: Iterable<Tensor>, maxNorm: number): Tensor {
  if (!(maxNorm > 0)) throw new ValueError('clipGradNorm', 'maxNorm', `must be positive, got ${maxNorm}`);
  const withGrad = [...parameters].filter((parameter) => parameter.grad);
  return noGrad(() => {
    if (withGrad.length === 0) return scalar(0);
    let squares: Tensor | null = null;
    for (const parameter of withGrad) {
      const grad = parameter.grad!;
      const part = sum(mul(grad, grad));
      squares = squares ? add(squares, part) : part;
    }
    const norm = sqrt(squares!);
    const factor = minimum(div(maxNorm, add(norm, 1e-6)), 1);
    for (const parameter of withGrad) parameter.grad = mul(parameter.grad!, factor);
    return norm;
  });
}
