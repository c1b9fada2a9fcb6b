/**
 * Checks and normalises the inputs shared by `memoryEfficientAttention` and
 * `attentionWeightsForRows`: shapes, the bool mask, causal, window and scale.
 *
 * Legend: `L` query length, `S` key length, `D` head dim, `Dv` value dim.
 */
import { DTypeError, Tensor, attentionKeepForRows, type Shape } from '@heed/tensor';
import { normalizeMask, type AttentionMask } from '../../masks.js';
import { checkAttentionShapes, resolveScale } from './sparse-attention.js';
import { resolveWindow, type AttentionWindow } from '../patterns/window.js';

/** The dense-attention options both functions take. */
export interface DenseAttentionOptions {
  /** Bool mask (true = may attend), broadcastable to `[B, H, L, S]`. */
  mask?: AttentionMask | null;
  /** Bottom-right aligned causal rule (`j <= i + S - L`). */
  causal?: boolean;
  /** Score scale (default `1 / sqrt(D)`). */
  scale?: number;
  /** Sliding window around the aligned position: reach `W >= 1` or `[before, after]`. */
  window?: AttentionWindow | null;
}

/** @internal Checked inputs. */
export interface AttentionInputs {
  readonly batch: Shape;
  readonly queryLength: number;
  readonly keyLength: number;
  readonly scale: number;
  readonly causal: boolean;
  readonly window: readonly [number, number] | null;
  /** The bool mask at rank `batch + 2` (sizes 1 on broadcast dims), or null. */
  readonly keep: Tensor | null;
}

/** @internal Checks shapes and options, raising `HeedError`s naming the argument. */
export function prepareAttentionInputs(
  op: string,
  query: Tensor,
  key: Tensor,
  value: Tensor | null,
  options: DenseAttentionOptions,
): AttentionInputs {
  checkAttentionShapes(op, query, key, value);
  const batch = query.shape.slice(0, -2);
  const queryLength = query.shape[query.rank - 2];
  const keyLength = key.shape[key.rank - 2];
  const scale = resolveScale(op, options.scale, query.shape[query.rank - 1]);
  const window = options.window === undefined || options.window === null ? null : resolveWindow(op, 'window', options.window);
  const mask = options.mask;
  if (mask instanceof Tensor && mask.dtype !== 'bool') {
    throw new DTypeError(op, 'mask', 'bool (true = may attend); additive masks need scaledDotProductAttention or sparseAttention', mask.dtype);
  }
  const { keep } = normalizeMask(op, mask, [...batch, queryLength, keyLength], { broadcast: false });
  return { batch, queryLength, keyLength, scale, causal: options.causal === true, window, keep };
}

/**
 * @internal The full keep-mask for query rows (`rowIndex` picks them, or a `[start, end)` range):
 * causal/window and the user mask, broadcastable to `[...batch, R, S]`, or null when all allowed.
 */
export function keepForRows(inputs: AttentionInputs, rows: Int32Array, rowIndex: Tensor | { start: number; end: number }, backend: Tensor['backend']): Tensor | null {
  return attentionKeepForRows({ ...inputs, mask: inputs.keep }, rows, rowIndex, backend);
}
