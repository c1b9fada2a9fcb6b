/**
 * The sliding-window vocabulary shared by the local patterns and `memoryEfficientAttention`.
 *
 * Positions are aligned to the bottom-right corner, as causal masks are: query `i` of `L` sits at
 * key position `p = i + S - L`. A window allows key `j` iff `p - before <= j <= p + after`.
 */
import { ValueError } from '@heed/tensor';

/**
 * A sliding window. Either a reach `W >= 1` (key `j` is allowed iff `|p - j| < W`, so `2W - 1`
 * keys; with `causal` the `W` keys `p - W + 1 … p`, Mistral's `sliding_window`), or explicit
 * `[before, after]` counts of keys on each side of the aligned position (each `>= 0`, may be
 * `Infinity`; `[0, 0]` is the diagonal only; FlashAttention's `window_size`).
 *
 * @example
 * ```ts
 * const reach: AttentionWindow = 4;                // |i - j| < 4
 * const oneSided: AttentionWindow = [128, 0];      // the 128 keys before i, and i
 * ```
 */
export type AttentionWindow = number | readonly [before: number, after: number];

function isCount(value: unknown): value is number {
  return typeof value === 'number' && (value === Infinity || (Number.isInteger(value) && value >= 0));
}

/**
 * `[before, after]` key counts of a window, or a `ValueError` naming `argument` when the window
 * is not a whole number `>= 1` nor a pair of whole numbers `>= 0`.
 *
 * @example
 * ```ts
 * resolveWindow('sparseAttention', 'window', 3); // [2, 2]
 * ```
 */
export function resolveWindow(op: string, argument: string, window: AttentionWindow): [before: number, after: number] {
  if (typeof window === 'number') {
    if (!isCount(window) || window < 1) {
      throw new ValueError(op, argument, `a window reach must be a whole number >= 1 (keys at distance < window), got ${window}`);
    }
    return [window - 1, window - 1];
  }
  if (!Array.isArray(window) || window.length !== 2 || !isCount(window[0]) || !isCount(window[1])) {
    const shown = Array.isArray(window) ? `[${window.join(', ')}]` : String(window);
    throw new ValueError(op, argument, `expected a reach >= 1 or [before, after] with whole numbers >= 0, got ${shown}`);
  }
  return [window[0], window[1]];
}
