import { ValueError } from '../errors.js';
import type { Tensor } from '../tensor.js';

/**
 * The base of heed's optimizers: holds the parameters, clears their gradients and, in
 * subclasses, updates them in place from `.grad` (parameters keep their identity).
 */
export abstract class Optimizer {
  readonly parameters: readonly Tensor[];
  /** The learning rate; change it between steps for a schedule. */
  lr: number;
  /** The number of steps taken. */
  stepCount = 0;

  constructor(parameters: Iterable<Tensor>, lr: number) {
    this.parameters = [...new Set(parameters)];
    if (!(lr >= 0)) throw new ValueError(this.constructor.name, 'lr', `must be non-negative, got ${lr}`);
    this.lr = lr;
    for (const [index, parameter] of this.parameters.entries()) {
      if (!parameter.requiresGrad) {
        throw new ValueError(this.constructor.name, `parameters[${index}]`, 'every parameter must require grad');
      }
    }
  }

  /** Sets every parameter's `.grad` to null. */
  zeroGrad(): void {
    for (const parameter of this.parameters) parameter.zeroGrad();
  }

  /** Applies one update from the current gradients (parameters without `.grad` are skipped). */
  abstract step(): void;
}
