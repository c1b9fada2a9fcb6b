import { Adam, AdamW, SGD, Tensor, clipGradNorm, crossEntropy, logSoftmax, mseLoss, softmax, type Optimizer } from '../src/index.js';
import type { ReferenceAdapters, ReferenceValue } from '../src/testing/index.js';

const one = (value: ReferenceValue): Tensor => {
  if (!(value instanceof Tensor)) throw new Error('expected a single array');
  return value;
};
const list = (value: ReferenceValue): Tensor[] => (Array.isArray(value) ? value : [value]);

/** Adapters for the ops `@heed/tensor` implements: softmax, losses, optimizers, clipping. */
export const adapters: ReferenceAdapters = {
  softmax: (inputs, attrs) => {
    const x = one(inputs.x);
    const dim = (attrs.dim as number | undefined) ?? -1;
    return { softmax: softmax(x, dim), log_softmax: logSoftmax(x, dim) };
  },
  cross_entropy: (inputs, attrs) => ({
    loss: crossEntropy(one(inputs.logits), one(inputs.target), {
      ignoreIndex: (attrs.ignore_index as number | null | undefined) ?? null,
      labelSmoothing: (attrs.label_smoothing as number | undefined) ?? 0,
      reduction: (attrs.reduction as 'mean' | 'sum' | 'none' | undefined) ?? 'mean',
    }).reshape([1]),
  }),
  mse: (inputs, attrs) => {
    const reduction = (attrs.reduction as 'mean' | 'sum' | 'none' | undefined) ?? 'mean';
    const loss = mseLoss(one(inputs.input), one(inputs.target), { reduction });
    return { loss: reduction === 'none' ? loss : loss.reshape([1]) };
  },
  optim: (inputs, attrs) => {
    const parameter = one(inputs.param).clone().detach().requiresGrad_();
    const kind = attrs.kind as string;
    const lr = attrs.lr as number;
    const weightDecay = (attrs.weight_decay as number | undefined) ?? 0;
    let optimizer: Optimizer;
    if (kind === 'sgd') {
      optimizer = new SGD([parameter], { lr, weightDecay, momentum: (attrs.momentum as number | undefined) ?? 0, nesterov: (attrs.nesterov as boolean | undefined) ?? false });
    } else {
      const options = { lr, weightDecay, betas: attrs.betas as [number, number], eps: attrs.eps as number };
      optimizer = kind === 'adamw' ? new AdamW([parameter], options) : new Adam([parameter], options);
    }
    const after: Tensor[] = [];
    for (const grad of list(inputs.grads)) {
      parameter.grad = grad;
      optimizer.step();
      after.push(parameter.clone().detach());
    }
    return { params_after_each_step: after };
  },
  clip_grad_norm: (inputs, attrs) => {
    const parameters = list(inputs.grads).map((grad) => {
      const parameter = grad.zerosLike().requiresGrad_();
      parameter.grad = grad;
      return parameter;
    });
    const norm = clipGradNorm(parameters, attrs.max_norm as number);
    return { total_norm: norm.reshape([1]), clipped: parameters.map((parameter) => parameter.grad!) };
  },
};
