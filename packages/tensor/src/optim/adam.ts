import { noGrad } from '../autograd.js';
import { ValueError } from '../errors.js';
import { add, div, mul, sqrt, sub } from '../ops/elementwise.js';
import { zerosLike } from '../ops/creation.js';
import type { Tensor } from '../tensor.js';
import { Optimizer } from './optimizer.js';

/** Options of {@link Adam} and {@link AdamW}. */
export interface AdamOptions {
  lr?: number;
  betas?: readonly [number, number];
  eps?: number;
  weightDecay?: number;
}

interface Moments {
  first: Tensor;
  second: Tensor;
}

/**
 * Adam (Kingma & Ba) with PyTorch's bias correction. `weightDecay` is L2 (added to the
 * gradient); for decoupled decay use {@link AdamW}.
 *
 * @example
 * ```ts
 * const optimizer = new Adam(model.parameters(), { lr: 1e-3 });
 * ```
 */
export class Adam extends Optimizer {
  readonly betas: readonly [number, number];
  readonly eps: number;
  readonly weightDecay: number;
  #moments = new Map<Tensor, Moments>();
  protected readonly decoupled: boolean = false;

  constructor(parameters: Iterable<Tensor>, options: AdamOptions = {}) {
    super(parameters, options.lr ?? 1e-3);
    this.betas = options.betas ?? [0.9, 0.999];
    this.eps = options.eps ?? 1e-8;
    this.weightDecay = options.weightDecay ?? 0;
    for (const [index, beta] of this.betas.entries()) {
      if (!(beta >= 0 && beta < 1)) throw new ValueError(this.constructor.name, `betas[${index}]`, `must be in [0, 1), got ${beta}`);
    }
  }

  step(): void {
    this.stepCount++;
    const [beta1, beta2] = this.betas;
    const correction1 = 1 - beta1 ** this.stepCount;
    const correction2 = 1 - beta2 ** this.stepCount;
    noGrad(() => {
      for (const parameter of this.parameters) {
        if (!parameter.grad) continue;
        let grad = parameter.grad;
        let value: Tensor = parameter;
        if (this.weightDecay !== 0) {
          if (this.decoupled) value = mul(parameter, 1 - this.lr * this.weightDecay);
          else grad = add(grad, mul(parameter, this.weightDecay));
        }
        const moments = this.#moments.get(parameter) ?? { first: zerosLike(parameter), second: zerosLike(parameter) };
        moments.first = add(mul(moments.first, beta1), mul(grad, 1 - beta1));
        moments.second = add(mul(moments.second, beta2), mul(mul(grad, grad), 1 - beta2));
        this.#moments.set(parameter, moments);
        const denominator = add(div(sqrt(moments.second), Math.sqrt(correction2)), this.eps);
        parameter.assign(sub(value, mul(div(moments.first, denominator), this.lr / correction1)));
      }
    });
  }
}

/**
 * AdamW (Loshchilov & Hutter): Adam with decoupled weight decay `p ← p·(1 − lr·weightDecay)`;
 * `weightDecay` defaults to 0.01 as in PyTorch.
 *
 * @example
 * ```ts
 * const optimizer = new AdamW(model.parameters(), { lr: 3e-4, weightDecay: 0.1 });
 * ```
 */
export class AdamW extends Adam {
  protected override readonly decoupled: boolean = true;

  constructor(parameters: Iterable<Tensor>, options: AdamOptions = {}) {
    super(parameters, { weightDecay: 0.01, ...options });
  }
}
