import {
  DTypeError,
  ShapeError,
  Tensor,
  ValueError,
  add,
  concat,
  dropout as dropoutOp,
  formatShape,
  linear,
  stack,
  zeros,
  type Generator,
} from '@heed/tensor';
import { gateCount, type RecurrentMode } from './recurrent-step.js';
import { recurrentSweep, type RecurrentImplementation } from './sweep.js';

/** Per-sequence lengths: a plain array, an Int32Array, or an int32 tensor [B]. */
export type SequenceLengths = readonly number[] | Int32Array | Tensor;

/** Options of {@link recurrent} (and of the layers' constructors and `forward`). */
export interface RecurrentOptions {
  /** Stacked layers (default 1); layer k > 0 reads the output of layer k - 1. */
  numLayers?: number;
  /** Run a second, reversed direction per layer and concatenate both outputs (default false). */
  bidirectional?: boolean;
  /**
   * `input` and `output` are [B, T, ·] (default true, unlike PyTorch's False: heed is batch-first
   * everywhere); pass false for [T, B, ·]. The states are always [layers·dirs, B, H].
   */
  batchFirst?: boolean;
  /** Dropout probability on the output of each layer except the last, in training (default 0). */
  dropout?: number;
  /** Whether dropout is active (default false for the function; modules pass their `training` flag). */
  training?: boolean;
  /** Initial hidden state [layers·dirs, B, H] (zeros when absent). */
  h0?: Tensor | null;
  /** Initial cell state of an LSTM [layers·dirs, B, H] (zeros when absent). */
  c0?: Tensor | null;
  /**
   * Real length of each sequence, each in [1, T]; steps past it are padding (PyTorch's packed
   * sequences). Padding never changes a real step's output or the final state; outputs at padded
   * steps are zero; the reverse direction starts at each sequence's own last real step.
   */
  lengths?: SequenceLengths | null;
  /** The generator for dropout masks (default: the global one). */
  generator?: Generator;
  /** How the recurrence runs (default `auto`); see {@link RecurrentImplementation}. */
  implementation?: RecurrentImplementation;
}

/** What a recurrent layer returns. */
export interface RecurrentResult {
  /** Top layer's hidden states: [B, T, dirs·H] ([T, B, dirs·H] with `batchFirst: false`), zero at padded steps. */
  output: Tensor;
  /** Final hidden state of every layer and direction: [layers·dirs, B, H] ([layers·dirs, B, P] for an LSTM with `projSize` P). */
  hN: Tensor;
  /** Final cell state of an LSTM: [layers·dirs, B, H] (H even with a projection); null for other modes. */
  cN: Tensor | null;
}

/** PyTorch's name of a layer parameter: `weight_ih_l0`, `bias_hh_l1_reverse`, `weight_hr_l0` (LSTM projection), … */
export function parameterName(kind: 'weight_ih' | 'weight_hh' | 'bias_ih' | 'bias_hh' | 'weight_hr', layer: number, reverse: boolean): string {
  return `${kind}_l${layer}${reverse ? '_reverse' : ''}`;
}

function requireParameter(op: string, parameters: Readonly<Record<string, Tensor>>, name: string, shape: readonly number[]): Tensor {
  const parameter = parameters[name];
  if (!parameter) throw new ValueError(op, 'parameters', `missing ${name} (expected shape ${formatShape(shape)})`);
  if (formatShape(parameter.shape) !== formatShape(shape)) throw new ShapeError(op, name, formatShape(shape), parameter.shape);
  return parameter;
}

function checkState(op: string, name: string, state: Tensor, expected: readonly number[], legend = '[layers·dirs, B, H]'): void {
  if (state.dtype !== 'float32') throw new DTypeError(op, name, 'float32', state.dtype);
  if (formatShape(state.shape) !== formatShape(expected)) {
    throw new ShapeError(op, name, `${formatShape(expected)} (${legend})`, state.shape);
  }
}

/** Reads and checks `lengths`; null when every sequence is T long. */
export function checkLengths(op: string, lengths: SequenceLengths, batch: number, steps: number): Int32Array | null {
  if (lengths instanceof Tensor && lengths.rank !== 1) throw new ShapeError(op, 'lengths', `[${batch}]`, lengths.shape);
  const raw = lengths instanceof Tensor ? Array.from(lengths.dataSync(), Number) : Array.from(lengths, Number);
  if (raw.length !== batch) throw new ShapeError(op, 'lengths', `[${batch}] (one length per sequence)`, [raw.length]);
  raw.forEach((length, b) => {
    if (!Number.isInteger(length) || length < 1 || length > steps) {
      throw new ValueError(op, 'lengths', `lengths[${b}] is ${length}; each length must be an integer in [1, ${steps}] (the sequence has T = ${steps} steps)`);
    }
  });
  const values = Int32Array.from(raw);
  return values.every((length) => length === steps) ? null : values;
}

/**
 * A stack of recurrent layers over whole sequences, with PyTorch's semantics and parameter names
 * (`weight_ih_l{k}`, `weight_hh_l{k}`, `bias_ih_l{k}`, `bias_hh_l{k}`, with `_reverse` for the
 * second direction). The layer classes {@link RNN}, {@link LSTM} and {@link GRU} call this with
 * their own parameters; call it directly to run a PyTorch state dict without a module.
 *
 * An LSTM whose parameters include `weight_hr_l{k}` [P, H] has projections (PyTorch's
 * `proj_size` = P): `h_t = W_hr (o_t ⊙ tanh(c_t))`, so `weight_hh_l{k}` is [4H, P], layers above
 * the first read dirs·P features, the output is [·, ·, dirs·P] and `hN` [layers·dirs, B, P], while
 * `cN` keeps H. Projected LSTMs run the `composed` implementation.
 *
 * Legend: `T` time steps, `B` batch, `I` input size, `H` hidden size, `G` gates (1, 4 or 3),
 * `P` projection size.
 *
 * @param mode - `rnn_tanh`, `rnn_relu`, `lstm` or `gru`
 * @param input - [B, T, I] ([T, B, I] with `batchFirst: false`), or unbatched [T, I]
 * @param parameters - by PyTorch name: `weight_ih_l{k}` [G·H, I or dirs·H], `weight_hh_l{k}` [G·H, H], optional biases [G·H], optional `weight_hr_l{k}` [P, H] (LSTM)
 * @returns `output`, `hN` and (LSTM) `cN`; see {@link RecurrentResult}
 * @example
 * ```ts
 * const state = loadSafetensors(bytes); // from torch: save_file(lstm.state_dict(), ...)
 * const { output, hN, cN } = recurrent('lstm', x, state, { numLayers: 2 }); // x [B, T, I]
 * ```
 */
export function recurrent(
  mode: RecurrentMode,
  input: Tensor,
  parameters: Readonly<Record<string, Tensor>>,
  options: RecurrentOptions = {},
  op: string = mode,
): RecurrentResult {
  const numLayers = options.numLayers ?? 1;
  const directions = options.bidirectional ? 2 : 1;
  const batchFirst = options.batchFirst ?? true;
  const p = options.dropout ?? 0;
  if (!Number.isInteger(numLayers) || numLayers < 1) throw new ValueError(op, 'numLayers', `must be a positive integer, got ${numLayers}`);
  if (!(p >= 0 && p < 1)) throw new ValueError(op, 'dropout', `must be in [0, 1), got ${p}`);
  const weightHh0 = parameters.weight_hh_l0;
  if (!weightHh0 || weightHh0.rank !== 2) throw new ValueError(op, 'parameters', 'missing weight_hh_l0 [G·H, H]');
  // `size` is H, the width of the gates and of an LSTM's cell; `stateSize` that of h and of each
  // direction's output: H, or P for an LSTM with projections (weight_hr_l{k} [P, H]).
  const weightHr0 = parameters.weight_hr_l0;
  if (weightHr0 && mode !== 'lstm') throw new ValueError(op, 'parameters', `weight_hr_l0: only an LSTM has projections (proj_size), not ${mode}`);
  if (weightHr0 && (weightHr0.rank !== 2 || weightHr0.shape[0] < 1 || weightHr0.shape[0] >= weightHr0.shape[1])) {
    throw new ShapeError(op, 'weight_hr_l0', '[P, H] with 1 ≤ P < H (an LSTM projection)', weightHr0.shape);
  }
  const size = weightHr0 ? weightHr0.shape[1] : weightHh0.shape[1];
  const stateSize = weightHr0 ? weightHr0.shape[0] : size;
  const width = gateCount(mode) * size;
  const inputSize = parameters.weight_ih_l0?.shape[1] ?? -1;
  if (input.dtype !== 'float32') throw new DTypeError(op, 'input', 'float32', input.dtype);
  const pattern = batchFirst ? `[B, T, ${inputSize}]` : `[T, B, ${inputSize}]`;
  if ((input.rank !== 2 && input.rank !== 3) || input.shape[input.rank - 1] !== inputSize) {
    throw new ShapeError(op, 'input', `${pattern} or unbatched [T, ${inputSize}]`, input.shape);
  }
  const unbatched = input.rank === 2;
  const x = unbatched ? input.unsqueeze(batchFirst ? 0 : 1) : input;
  const batch = x.shape[batchFirst ? 0 : 1];
  const steps = x.shape[batchFirst ? 1 : 0];
  if (batch < 1 || steps < 1) throw new ShapeError(op, 'input', `${pattern} with T ≥ 1 and B ≥ 1`, input.shape);
  const statesShape = (features: number): number[] => (unbatched ? [numLayers * directions, features] : [numLayers * directions, batch, features]);
  if (options.h0) checkState(op, 'h0', options.h0, statesShape(stateSize), weightHr0 ? '[layers·dirs, B, projSize]' : undefined);
  if (options.c0) {
    if (mode !== 'lstm') throw new ValueError(op, 'c0', `only an LSTM has a cell state (this is ${mode})`);
    checkState(op, 'c0', options.c0, statesShape(size));
  }
  const lengths = options.lengths ? checkLengths(op, options.lengths, batch, steps) : null;
  const h0 = options.h0 && unbatched ? options.h0.unsqueeze(1) : options.h0;
  const c0 = options.c0 && unbatched ? options.c0.unsqueeze(1) : options.c0;
  const initial = (state: Tensor | null | undefined, index: number, features: number): Tensor =>
    state ? state.slice(0, index, index + 1).squeeze(0) : zeros([batch, features], { backend: x.backend });

  let layerInput = x;
  const finalH: Tensor[] = [];
  const finalC: Tensor[] = [];
  for (let layer = 0; layer < numLayers; layer++) {
    const layerInputSize = layer === 0 ? inputSize : directions * stateSize;
    const flat = layerInput.reshape([batch * steps, layerInputSize]);
    const outputs: Tensor[] = [];
    for (let direction = 0; direction < directions; direction++) {
      const reverse = direction === 1;
      const weightIh = requireParameter(op, parameters, parameterName('weight_ih', layer, reverse), [width, layerInputSize]);
      const weightHh = requireParameter(op, parameters, parameterName('weight_hh', layer, reverse), [width, stateSize]);
      const weightHr = weightHr0 ? requireParameter(op, parameters, parameterName('weight_hr', layer, reverse), [stateSize, size]) : null;
      const hasBias = parameterName('bias_ih', layer, reverse) in parameters;
      const biasIh = hasBias ? requireParameter(op, parameters, parameterName('bias_ih', layer, reverse), [width]) : null;
      const biasHh = hasBias ? requireParameter(op, parameters, parameterName('bias_hh', layer, reverse), [width]) : null;
      const index = layer * directions + direction;
      // Both biases add to the same pre-activations, except GRU's b_hn (inside r ⊙ (W_hn·h + b_hn)):
      // outside GRU they are summed once ([G·H]) instead of adding b_ih to every row of the projection.
      const foldBiases = biasIh !== null && biasHh !== null && mode !== 'gru';
      const projected = linear(flat, weightIh, foldBiases ? null : biasIh).reshape(batchFirst ? [batch, steps, width] : [steps, batch, width]);
      const result = recurrentSweep({
        mode,
        projected,
        h0: initial(h0, index, stateSize),
        c0: mode === 'lstm' ? initial(c0, index, size) : null,
        weightHh,
        biasHh: foldBiases ? add(biasIh, biasHh) : biasHh,
        weightHr,
        batchFirst,
        reverse,
        lengths,
        implementation: options.implementation ?? 'auto',
      });
      outputs.push(result.output);
      finalH.push(result.hN);
      if (result.cN) finalC.push(result.cN);
    }
    layerInput = outputs.length === 1 ? outputs[0] : concat(outputs, -1);
    if (p > 0 && (options.training ?? false) && layer < numLayers - 1) {
      layerInput = dropoutOp(layerInput, p, true, options.generator);
    }
  }
  const hN = stack(finalH, 0);
  const cN = finalC.length > 0 ? stack(finalC, 0) : null;
  return {
    output: unbatched ? layerInput.squeeze(batchFirst ? 0 : 1) : layerInput,
    hN: unbatched ? hN.squeeze(1) : hN,
    cN: cN && unbatched ? cN.squeeze(1) : cN,
  };
}
