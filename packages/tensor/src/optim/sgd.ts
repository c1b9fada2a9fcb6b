import { noGrad } from '../autograd.js';
import { ValueError } from '../errors.js';
import { add, mul, sub } from '../ops/elementwise.js';
import type { Tensor } from '../tensor.js';
import { Optimizer } from './optimizer.js';

/** Options of {@link SGD}. */
export interface SGDOptions {
  lr: number;
  momentum?: number;
  dampening?: number;
  weightDecay?: number;
  nesterov?: boolean;
}

/**
 * Stochastic gradient descent with PyTorch's momentum (`buf = momentum·buf + (1 − dampening)·g`),
 * Nesterov (`g + momentum·buf`) and L2 weight decay.
 *
 * @example
 * ```ts
 * const optimizer = new SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
 * loss.backward(); optimizer.step(); optimizer.zeroGrad();
 * ```
 */
export class SGD extends Optimizer {
  readonly momentum: number;
  readonly dampening: number;
  readonly weightDecay: number;
  readonly nesterov: boolean;
  #buffers = new Map<Tensor, Tensor>();

  constructor(parameters: Iterable<Tensor>, options: SGDOptions) {
    super(parameters, options.lr);
    this.momentum = options.momentum ?? 0;
    this.dampening = options.dampening ?? 0;
    this.weightDecay = options.weightDecay ?? 0;
    this.nesterov = options.nesterov ?? false;
    if (this.nesterov && (this.momentum <= 0 || this.dampening !== 0)) {
      throw new ValueError('SGD', 'nesterov', 'needs momentum > 0 and dampening = 0');
    }
  }

  step(): void {
    this.stepCount++;
    noGrad(() => {
      for (const parameter of this.parameters) {
        if (!parameter.grad) continue;
        let grad = parameter.grad;
        if (this.weightDecay !== 0) grad = add(grad, mul(parameter, this.weightDecay));
        if (this.momentum !== 0) {
          const previous = this.#buffers.get(parameter);
          const buffer = previous ? add(mul(previous, this.momentum), mul(grad, 1 - this.dampening)) : grad.clone();
          this.#buffers.set(parameter, buffer);
          grad = this.nesterov ? add(grad, mul(buffer, this.momentum)) : buffer;
        }
        parameter.assign(sub(parameter, mul(grad, this.lr)));
      }
    });
  }
}
