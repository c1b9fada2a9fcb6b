import { DTypeError, ShapeError, ValueError, formatShape } from './errors.js';
import { add, div, maximum, mul, ne, neg, sub, where } from './ops/elementwise.js';
import { gather } from './ops/indexing.js';
import { movedLast } from './ops/helpers.js';
import { reshape, squeeze, unsqueeze } from './ops/movement.js';
import { mean, sum } from './ops/reduce.js';
import { logSoftmax } from './ops/softmax.js';
import type { Tensor } from './tensor.js';

/** How a loss combines per-element values. */
export type Reduction = 'mean' | 'sum' | 'none';

/** Options of {@link crossEntropy}. */
export interface CrossEntropyOptions {
  /** Targets equal to this index add nothing and are left out of the mean. */
  ignoreIndex?: number | null;
  /** Mixes the one-hot target with the uniform distribution (0 = off). */
  labelSmoothing?: number;
  reduction?: Reduction;
}

/**
 * Cross-entropy of unnormalised `logits` against int32 class `target`s, as PyTorch's
 * `F.cross_entropy`: logits [N, C] (or [N, C, ...]) with target [N] (or [N, ...]).
 *
 * @example
 * ```ts
 * const loss = crossEntropy(logits, target, { ignoreIndex: 0, labelSmoothing: 0.1 });
 * ```
 */
export function crossEntropy(logits: Tensor, target: Tensor, options: CrossEntropyOptions = {}): Tensor {
  if (target.dtype !== 'int32') throw new DTypeError('crossEntropy', 'target', 'int32', target.dtype);
  if (logits.rank < 2) throw new ShapeError('crossEntropy', 'logits', '[N, C] or [N, C, ...]', logits.shape);
  const expected = [logits.shape[0], ...logits.shape.slice(2)];
  if (formatShape(expected) !== formatShape(target.shape)) {
    throw new ShapeError('crossEntropy', 'target', formatShape(expected), target.shape, `logits are ${formatShape(logits.shape)}`);
  }
  const smoothing = options.labelSmoothing ?? 0;
  if (!(smoothing >= 0 && smoothing <= 1)) throw new ValueError('crossEntropy', 'labelSmoothing', `must be in [0, 1], got ${smoothing}`);
  const classes = logits.shape[1];
  const flatLogits = logits.rank === 2 ? logits : reshape(movedLast(logits, 1), [-1, classes]);
  const flatTarget = reshape(target, [-1]);
  const ignore = options.ignoreIndex ?? null;
  if (flatTarget.backend.readSync) {
    for (const value of flatTarget.dataSync()) {
      if (value !== ignore && (value < 0 || value >= classes)) {
        throw new ValueError('crossEntropy', 'target', `class ${value} is out of range for ${classes} classes`);
      }
    }
  }
  const valid = ignore === null ? null : ne(flatTarget, ignore);
  const safeTarget = valid ? where(valid, flatTarget, 0).int() : flatTarget;
  const logProbabilities = logSoftmax(flatLogits, -1);
  const picked = squeeze(gather(logProbabilities, 1, unsqueeze(safeTarget, 1)), 1);
  let perSample = neg(picked);
  if (smoothing > 0) {
    perSample = add(mul(perSample, 1 - smoothing), mul(neg(mean(logProbabilities, -1)), smoothing));
  }
  if (valid) perSample = where(valid, perSample, 0);
  const reduction = options.reduction ?? 'mean';
  if (reduction === 'none') return reshape(perSample, target.shape);
  if (reduction === 'sum') return sum(perSample);
  const count = valid ? maximum(sum(valid.float()), 1) : flatTarget.size;
  return div(sum(perSample), count);
}

/**
 * Mean squared error (PyTorch's `F.mse_loss`); `input` and `target` broadcast.
 *
 * @example
 * ```ts
 * mseLoss(prediction, target).item();
 * ```
 */
export function mseLoss(input: Tensor, target: Tensor, options: { reduction?: Reduction } = {}): Tensor {
  if (formatShape(input.shape) !== formatShape(target.shape)) {
    throw new ShapeError('mseLoss', 'target', formatShape(input.shape), target.shape);
  }
  const difference = sub(input, target);
  const squared = mul(difference, difference);
  const reduction = options.reduction ?? 'mean';
  if (reduction === 'none') return squared;
  return reduction === 'sum' ? sum(squared) : mean(squared);
}
