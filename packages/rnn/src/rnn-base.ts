import { Module, ValueError, uniform, type Generator, type Tensor } from '@heed/tensor';
import { checkSize } from './cell-base.js';
import { parameterName, recurrent, type RecurrentResult, type SequenceLengths } from './recurrent.js';
import { gateCount, type RecurrentMode } from './recurrent-step.js';
import type { RecurrentImplementation } from './sweep.js';

/** Options of the layers' constructors (PyTorch's `nn.RNN`/`nn.LSTM`/`nn.GRU` arguments). */
export interface RecurrentLayerOptions {
  /** Stacked layers (default 1). */
  numLayers?: number;
  /** Learn the biases (default true). */
  bias?: boolean;
  /**
   * `input` and `output` are [B, T, ·] (default true, unlike PyTorch's False: heed is batch-first
   * everywhere); pass false for [T, B, ·]. The states are always [layers·dirs, B, H].
   */
  batchFirst?: boolean;
  /** Dropout probability on each layer's output except the last, in training mode (default 0). */
  dropout?: number;
  /** Add a reversed direction per layer (default false). */
  bidirectional?: boolean;
  /** The generator for the initial weights and the dropout masks (default: the global one). */
  generator?: Generator;
  /** How the recurrence runs (default `auto`); see {@link RecurrentImplementation}. */
  implementation?: RecurrentImplementation;
}

/** Arguments of a layer's `forward` besides the input. */
export interface RecurrentForwardOptions {
  /** Initial hidden state [layers·dirs, B, H] (zeros when absent). */
  h0?: Tensor | null;
  /**
   * Real length of each sequence, in [1, T] (PyTorch's packed sequences): padding never changes
   * a real step's output or the final state, and outputs at padded steps are zero.
   */
  lengths?: SequenceLengths | null;
}

/**
 * What {@link RNN}, {@link LSTM} and {@link GRU} share: PyTorch's parameters for every layer `k`
 * and direction (`weight_ih_l{k}` [G·H, I or dirs·H], `weight_hh_l{k}` [G·H, H], `bias_ih_l{k}`,
 * `bias_hh_l{k}` [G·H], and for an LSTM with `projSize` P `weight_hr_l{k}` [P, H], with
 * `weight_hh_l{k}` [4H, P] and layers above the first reading dirs·P; `_reverse` for the second
 * direction), registered in PyTorch's order and initialised U(±1/√H), so `loadStateDict` takes a
 * PyTorch state dict as it is.
 */
export abstract class RNNBase extends Module {
  readonly numLayers: number;
  readonly bias: boolean;
  readonly batchFirst: boolean;
  readonly dropout: number;
  readonly bidirectional: boolean;
  /** An LSTM's projection size P (PyTorch's `proj_size`); 0 for no projection and for RNN and GRU. */
  readonly projSize: number;
  /** How the recurrence runs; may be changed at any time. */
  implementation: RecurrentImplementation;
  readonly #generator: Generator | undefined;
  readonly #weights: Record<string, Tensor> = {};

  protected constructor(
    readonly mode: RecurrentMode,
    readonly inputSize: number,
    readonly hiddenSize: number,
    options: RecurrentLayerOptions & { projSize?: number } = {},
  ) {
    super();
    const op = this.constructor.name;
    checkSize(op, 'inputSize', inputSize);
    checkSize(op, 'hiddenSize', hiddenSize);
    this.numLayers = options.numLayers ?? 1;
    checkSize(op, 'numLayers', this.numLayers);
    this.bias = options.bias ?? true;
    this.batchFirst = options.batchFirst ?? true;
    this.dropout = options.dropout ?? 0;
    if (!(this.dropout >= 0 && this.dropout < 1)) throw new ValueError(op, 'dropout', `must be in [0, 1), got ${this.dropout}`);
    this.bidirectional = options.bidirectional ?? false;
    this.projSize = options.projSize ?? 0;
    if (this.projSize !== 0 && mode !== 'lstm') {
      throw new ValueError(op, 'projSize', `projections are only supported for LSTM, not RNN or GRU (got projSize ${this.projSize})`);
    }
    if (!Number.isInteger(this.projSize) || this.projSize < 0) {
      throw new ValueError(op, 'projSize', `must be a non-negative integer (0 disables projections), got ${this.projSize}`);
    }
    if (this.projSize >= hiddenSize) {
      throw new ValueError(op, 'projSize', `must be smaller than hiddenSize (${hiddenSize}), got ${this.projSize}`);
    }
    this.implementation = options.implementation ?? 'auto';
    this.#generator = options.generator;
    const width = gateCount(mode) * hiddenSize;
    const stateSize = this.outputSize;
    const bound = 1 / Math.sqrt(hiddenSize);
    const random = options.generator ? { generator: options.generator } : {};
    for (let layer = 0; layer < this.numLayers; layer++) {
      const layerInput = layer === 0 ? inputSize : this.directions * stateSize;
      for (let direction = 0; direction < this.directions; direction++) {
        const reverse = direction === 1;
        const shapes: [Parameters<typeof parameterName>[0], number[]][] = [
          ['weight_ih', [width, layerInput]],
          ['weight_hh', [width, stateSize]],
          ...(this.bias ? ([['bias_ih', [width]], ['bias_hh', [width]]] as [Parameters<typeof parameterName>[0], number[]][]) : []),
          ...(this.projSize > 0 ? ([['weight_hr', [this.projSize, hiddenSize]]] as [Parameters<typeof parameterName>[0], number[]][]) : []),
        ];
        for (const [kind, shape] of shapes) {
          const name = parameterName(kind, layer, reverse);
          this.#weights[name] = this.registerParameter(name, uniform(shape, -bound, bound, random));
        }
      }
    }
  }

  /**
   * Runs the whole sequence (see each subclass): `input` [B, T, I] (or [T, B, I] with
   * `batchFirst: false`) → `output`, `hN`
   * and, for an LSTM, `cN`. `c0` is for LSTMs only.
   */
  abstract forward(input: Tensor, options?: RecurrentForwardOptions & { c0?: Tensor | null }): RecurrentResult;

  /** The width of the hidden state `h` and of each direction's output: `projSize` when set, else `hiddenSize`. */
  get outputSize(): number {
    return this.projSize > 0 ? this.projSize : this.hiddenSize;
  }

  /** 2 when bidirectional, else 1. */
  get directions(): number {
    return this.bidirectional ? 2 : 1;
  }

  /** The parameter named as in PyTorch (`weight_hh_l1_reverse`, …). */
  parameter(name: string): Tensor {
    const weight = this.#weights[name];
    if (!weight) throw new ValueError(this.constructor.name, 'name', `no parameter ${name}; have ${Object.keys(this.#weights).join(', ')}`);
    return weight;
  }

  /** Runs every layer over `input`; the subclasses' `forward` narrows the result's type. */
  protected run(input: Tensor, h0: Tensor | null | undefined, c0: Tensor | null | undefined, lengths: SequenceLengths | null | undefined): RecurrentResult {
    return recurrent(
      this.mode,
      input,
      this.#weights,
      {
        numLayers: this.numLayers,
        bidirectional: this.bidirectional,
        batchFirst: this.batchFirst,
        dropout: this.dropout,
        training: this.training,
        h0,
        c0,
        lengths,
        implementation: this.implementation,
        ...(this.#generator ? { generator: this.#generator } : {}),
      },
      `${this.constructor.name}.forward`,
    );
  }
}
