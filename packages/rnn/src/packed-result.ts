// A recurrent sweep returns its output and final states as views of one packed tensor, so that
// one autograd node receives all three gradients together.
import { concat, type Tensor } from '@heed/tensor';

/** The results of one direction of one layer. */
export interface SweepResult {
  /** Hidden states, zero at padded steps: [T, B, H] or [B, T, H]. */
  output: Tensor;
  /** [B, H] each: the state after each sequence's last real step. */
  hN: Tensor;
  cN: Tensor | null;
}

/** Splits one packed result tensor into output, hN and cN views. */
export function unpack(packed: Tensor, outputShape: readonly number[], batch: number, size: number, lstm: boolean): SweepResult {
  const outputSize = outputShape.reduce((a, b) => a * b, 1);
  const stateSize = batch * size;
  return {
    output: packed.slice(0, 0, outputSize).reshape(outputShape),
    hN: packed.slice(0, outputSize, outputSize + stateSize).reshape([batch, size]),
    cN: lstm ? packed.slice(0, outputSize + stateSize, outputSize + 2 * stateSize).reshape([batch, size]) : null,
  };
}

/** Joins an output and final states into the packed layout {@link unpack} reads. */
export function pack(output: Tensor, hN: Tensor, cN: Tensor | null): Tensor {
  return concat([output.reshape([-1]), hN.reshape([-1]), ...(cN ? [cN.reshape([-1])] : [])], 0);
}
