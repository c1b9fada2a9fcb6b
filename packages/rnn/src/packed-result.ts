// A recurrent sweep returns its output and final states as views of one packed tensor, so that
// one autograd node receives all three gradients together.
import { concat, type Tensor } from '@heed/tensor';

/** The results of one direction of one layer. */
export interface SweepResult {
  /** Hidden states, zero at padded steps: [T, B, H] or [B, T, H] (H = projSize for a projected LSTM). */
  output: Tensor;
  /** [B, H] each (`cN` [B, hiddenSize] for a projected LSTM): the state after each sequence's last real step. */
  hN: Tensor;
  cN: Tensor | null;
}

/**
 * Splits one packed result tensor into output, hN and cN views. `size` is the width of the
 * output and `hN` (an LSTM's `projSize` when it has projections); `cellSize` that of `cN`, or null
 * when there is no cell state.
 */
export function unpack(packed: Tensor, outputShape: readonly number[], batch: number, size: number, cellSize: number | null): SweepResult {
  const outputSize = outputShape.reduce((a, b) => a * b, 1);
  const stateSize = batch * size;
  return {
    output: packed.slice(0, 0, outputSize).reshape(outputShape),
    hN: packed.slice(0, outputSize, outputSize + stateSize).reshape([batch, size]),
    cN: cellSize === null ? null : packed.slice(0, outputSize + stateSize, outputSize + stateSize + batch * cellSize).reshape([batch, cellSize]),
  };
}

/** Joins an output and final states into the packed layout {@link unpack} reads. */
export function pack(output: Tensor, hN: Tensor, cN: Tensor | null): Tensor {
  return concat([output.reshape([-1]), hN.reshape([-1]), ...(cN ? [cN.reshape([-1])] : [])], 0);
}
