import { GradientError } from './errors.js';
import type { Tensor } from './tensor.js';

/** The gradient rule of one op application: maps d loss / d output to d loss / d each input. */
export type GradRule = (grad: Tensor) => readonly (Tensor | null)[];

/**
 * The marker an op without a gradient (a comparison, `argmax`, a cast to bool or int32) passes
 * instead of a rule: its result never requires grad. Required, never implied: `record` rejects
 * `null` and `undefined`, so an op cannot lose its gradient by forgetting to write one.
 *
 * @example
 * ```ts
 * record('roundToInt', out, [x], nonDifferentiable);
 * ```
 */
export const nonDifferentiable: unique symbol = Symbol.for('heed.nonDifferentiable');
/** The type of {@link nonDifferentiable}. */
export type NonDifferentiable = typeof nonDifferentiable;

/** What an op result remembers for the backward pass. */
export interface GradNode {
  /** The op's name, for error messages and graph printing. */
  readonly op: string;
  /** The op's tensor inputs, in the order the rule returns their gradients. */
  readonly inputs: readonly Tensor[];
  /** The gradient rule, written beside the op's forward. */
  readonly backward: GradRule;
}

let gradEnabled = true;

/** Whether ops currently record a graph for backward. */
export function isGradEnabled(): boolean {
  return gradEnabled;
}

/**
 * Runs `fn` without recording gradients (like `torch.no_grad()`); results do not require grad.
 *
 * @example
 * ```ts
 * const y = noGrad(() => model.forward(x)); // inference only
 * ```
 */
export function noGrad<T>(fn: () => T): T {
  const previous = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = previous;
  }
}

/** Runs `fn` with gradient recording switched on or off. */
export function withGradEnabled<T>(enabled: boolean, fn: () => T): T {
  const previous = gradEnabled;
  gradEnabled = enabled;
  try {
    return fn();
  } finally {
    gradEnabled = previous;
  }
}

/**
 * Attaches a gradient rule to an op's result when recording is on and an input requires grad.
 * `@heed/tensor`'s own ops reach this through their typed rule tables (`OpName`, `gradRules`);
 * an op defined in another package (a fused attention, a recurrent sweep) calls it directly with
 * its rule written beside its forward, or with {@link nonDifferentiable}. The rule is required:
 * `null` or `undefined` is a `GradientError`, never a silently missing gradient.
 *
 * @example
 * ```ts
 * const out = record('straightThrough', hard, [soft], (grad) => [grad]);
 * ```
 */
export function record(op: string, output: Tensor, inputs: readonly Tensor[], backward: GradRule | NonDifferentiable): Tensor {
  if (backward !== nonDifferentiable && typeof backward !== 'function') {
    throw new GradientError(op, 'no gradient rule was given; pass the rule, or nonDifferentiable for an op without a gradient');
  }
  if (backward === nonDifferentiable) return output;
  if (!gradEnabled || output.dtype !== 'float32') return output;
  if (!inputs.some((input) => input.requiresGrad)) return output;
  output.setGradNode({ op, inputs, backward });
  return output;
}

/** Tensors reachable from `root` through grad nodes, inputs before the tensors computed from them. */
function topologicalOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const visited = new Set<Tensor>();
  const stack: [Tensor, boolean][] = [[root, false]];
  while (stack.length > 0) {
    const [tensor, expanded] = stack.pop()!;
    if (expanded) {
      order.push(tensor);
      continue;
    }
    if (visited.has(tensor)) continue;
    visited.add(tensor);
    stack.push([tensor, true]);
    const node = tensor.gradNode;
    if (node) for (const input of node.inputs) if (input.requiresGrad && !visited.has(input)) stack.push([input, false]);
  }
  return order;
}

/** Options of {@link backward}. */
export interface BackwardOptions {
  /** d loss / d root; defaults to ones for a single-element root. */
  gradient?: Tensor;
  /**
   * Record the backward computation itself, for higher-order gradients: the `.grad` tensors this
   * call accumulates keep their graph (`grad.requiresGrad` is true where the gradient depends on a
   * tensor that requires grad), so `grad.sum().backward()` differentiates them again. Without it,
   * `.grad` is detached.
   */
  createGraph?: boolean;
}

/**
 * Reverse-mode autodiff from `root`: runs every rule once, in reverse topological order, and
 * **accumulates** into `.grad` of leaf tensors that require grad. Broadcasting is undone here, in
 * one place: a gradient whose shape differs from its input's is summed back to the input's shape.
 */
export function backward(root: Tensor, options: BackwardOptions = {}): void {
  if (!root.requiresGrad) {
    throw new GradientError('backward', 'the tensor does not require grad (no input had requiresGrad = true)');
  }
  let seed = options.gradient;
  if (!seed) {
    if (root.size !== 1) {
      throw new GradientError(
        'backward',
        `a gradient must be given for a tensor of ${root.size} elements (shape [${root.shape.join(', ')}])`,
      );
    }
    seed = root.onesLike();
  }
  const createGraph = options.createGraph === true;
  const run = (): void => {
    const grads = new Map<Tensor, Tensor>([[root, seed]]);
    const order = topologicalOrder(root);
    for (let index = order.length - 1; index >= 0; index--) {
      const tensor = order[index];
      const grad = grads.get(tensor);
      if (!grad) continue;
      grads.delete(tensor);
      const node = tensor.gradNode;
      if (!node) {
        tensor.accumulateGrad(grad, createGraph);
        continue;
      }
      if (tensor.retainsGrad) tensor.accumulateGrad(grad, createGraph);
      const inputGrads = node.backward(grad);
      node.inputs.forEach((input, position) => {
        const inputGrad = inputGrads[position];
        if (!inputGrad || !input.requiresGrad) return;
        const shaped = inputGrad.sumToShape(input.shape);
        const previous = grads.get(input);
        grads.set(input, previous ? previous.add(shaped) : shaped);
      });
    }
  };
  withGradEnabled(createGraph, run);
}
