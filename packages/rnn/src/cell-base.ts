import { DTypeError, Module, ShapeError, ValueError, formatShape, linear, uniform, zeros, type Generator, type Tensor } from '@heed/tensor';
import { gateCount, recurrentStep, type RecurrentMode, type RecurrentState } from './recurrent-step.js';

/** Options of the cells' constructors. */
export interface CellOptions {
  /** Learn `bias_ih` and `bias_hh` (default true). */
  bias?: boolean;
  /** The generator for the initial weights, U(±1/√hiddenSize) as in PyTorch (default: the global one). */
  generator?: Generator;
}

/** Checks that `value` is a positive integer size. */
export function checkSize(op: string, name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) throw new ValueError(op, name, `must be a positive integer, got ${value}`);
}

/**
 * What the three cells share: PyTorch's parameters `weight_ih` [G·H, I], `weight_hh` [G·H, H],
 * `bias_ih` and `bias_hh` [G·H] (G = 1, 4 or 3 gate blocks), initialised U(±1/√H), and the
 * checks of a step's input and state.
 */
export abstract class RecurrentCellBase extends Module {
  /** `[G·H, I]`: the input-to-hidden weights of all gates, stacked in PyTorch's gate order. */
  readonly weight_ih: Tensor;
  /** `[G·H, H]`: the hidden-to-hidden weights of all gates. */
  readonly weight_hh: Tensor;
  /** [G·H] or null. */
  readonly bias_ih: Tensor | null;
  /** [G·H] or null. */
  readonly bias_hh: Tensor | null;

  protected constructor(
    readonly mode: RecurrentMode,
    readonly inputSize: number,
    readonly hiddenSize: number,
    options: CellOptions,
  ) {
    super();
    const op = this.constructor.name;
    checkSize(op, 'inputSize', inputSize);
    checkSize(op, 'hiddenSize', hiddenSize);
    const width = gateCount(mode) * hiddenSize;
    const bound = 1 / Math.sqrt(hiddenSize);
    const random = options.generator ? { generator: options.generator } : {};
    const make = (shape: number[]): Tensor => uniform(shape, -bound, bound, random);
    this.weight_ih = this.registerParameter('weight_ih', make([width, inputSize]));
    this.weight_hh = this.registerParameter('weight_hh', make([width, hiddenSize]));
    const bias = options.bias ?? true;
    this.bias_ih = this.registerParameter('bias_ih', bias ? make([width]) : null);
    this.bias_hh = this.registerParameter('bias_hh', bias ? make([width]) : null);
  }

  /**
   * Checks `input` ([B, I] or unbatched [I]) and the states ([B, H] or [H], zeros when absent),
   * runs one step, and returns the next state in the input's batching.
   */
  protected step(input: Tensor, h: Tensor | null | undefined, c: Tensor | null | undefined): RecurrentState {
    const op = `${this.constructor.name}.forward`;
    if (input.dtype !== 'float32') throw new DTypeError(op, 'input', 'float32', input.dtype);
    if ((input.rank !== 1 && input.rank !== 2) || input.shape[input.rank - 1] !== this.inputSize) {
      throw new ShapeError(op, 'input', `[B, ${this.inputSize}] or unbatched [${this.inputSize}]`, input.shape);
    }
    const batched = input.rank === 2;
    const x = batched ? input : input.unsqueeze(0);
    const batch = x.shape[0];
    const expected = batched ? [batch, this.hiddenSize] : [this.hiddenSize];
    const state = (name: string, value: Tensor | null | undefined): Tensor => {
      if (!value) return zeros([batch, this.hiddenSize], { backend: x.backend });
      if (formatShape(value.shape) !== formatShape(expected)) throw new ShapeError(op, name, formatShape(expected), value.shape);
      return batched ? value : value.unsqueeze(0);
    };
    const projected = linear(x, this.weight_ih, this.bias_ih);
    const next = recurrentStep(this.mode, projected, { h: state('h', h), c: this.mode === 'lstm' ? state('c', c) : null }, this.weight_hh, this.bias_hh);
    return batched ? next : { h: next.h.squeeze(0), c: next.c ? next.c.squeeze(0) : null };
  }
}
