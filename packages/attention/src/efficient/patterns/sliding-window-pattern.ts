/**
 * Local patterns: the sliding window (local attention) and its dilated / strided form.
 *
 * Legend: `L` query length, `S` key length; query `i` sits at key position `p = i + S - L`.
 */
import { AttentionPattern, checkWhole, type PatternOptions, type PatternRule } from './attention-pattern.js';
import { resolveWindow, type AttentionWindow } from './window.js';

/** Rows per group for a window of `keys` keys per row: about half the window, 16 … 64. */
export function rowsForWindow(keys: number): number {
  let rows = 16;
  while (rows < 64 && rows * 2 <= keys / 2) rows *= 2;
  return rows;
}

/** Options of {@link slidingWindowPattern}. */
export interface SlidingWindowOptions extends PatternOptions {
  /** A reach `W >= 1` (`|p - j| < W`) or `[before, after]` key counts; see `AttentionWindow`. */
  window: AttentionWindow;
}

class SlidingWindowPattern extends AttentionPattern {
  readonly kind = 'sliding-window';
  /** Keys allowed before and after the aligned position. */
  readonly window: readonly [before: number, after: number];

  constructor(options: SlidingWindowOptions) {
    const window = resolveWindow('slidingWindowPattern', 'window', options.window);
    super(options, rowsForWindow(window[0] + window[1] + 1));
    this.window = window;
  }

  protected resolve(queryLength: number, keyLength: number): PatternRule {
    const [before, after] = this.window;
    const shift = keyLength - queryLength;
    return {
      queryLength,
      keyLength,
      allows: (row, column) => {
        const distance = row + shift - column;
        return distance <= before && -distance <= after;
      },
      spans: (row) => {
        const position = row + shift;
        const start = Math.max(0, position - before);
        const end = Math.min(keyLength, position + after + 1);
        return start < end ? [start, end, 1] : [];
      },
      rowClass: () => 0,
    };
  }
}

/**
 * Sliding-window (local) attention: query `i` attends the keys within `window` of its aligned
 * position `p = i + S - L`. With `causal` it attends only keys at or before `p` (Mistral's
 * sliding window, `window: W` giving the last `W` keys).
 *
 * @param options.window - reach `W >= 1` (`|p - j| < W`) or `[before, after]` key counts.
 * @param options.causal - and the causal rule in (`j <= p`).
 * @example
 * ```ts
 * const local = slidingWindowPattern({ window: 128, causal: true }); // each query sees 128 keys
 * const out = sparseAttention(query, key, value, { pattern: local }); // [B, H, L, Dv]
 * ```
 */
export function slidingWindowPattern(options: SlidingWindowOptions): AttentionPattern {
  return new SlidingWindowPattern(options);
}

/** Options of {@link dilatedPattern}. */
export interface DilatedOptions extends PatternOptions {
  /** Gap between attended keys (`1` is a plain sliding window). */
  dilation: number;
  /**
   * How many dilated steps the window reaches: `W` (steps `< W` on each side) or
   * `[before, after]` step counts. Default unlimited: every key `j ≡ p (mod dilation)`, the
   * Sparse Transformer's strided pattern.
   */
  window?: AttentionWindow;
}

class DilatedPattern extends AttentionPattern {
  readonly kind = 'dilated';
  readonly dilation: number;
  /** Dilated steps allowed before and after the aligned position. */
  readonly window: readonly [before: number, after: number];

  constructor(options: DilatedOptions) {
    checkWhole('dilatedPattern', 'dilation', options.dilation, 1);
    const window = options.window === undefined ? ([Infinity, Infinity] as const) : resolveWindow('dilatedPattern', 'window', options.window);
    super(options, rowsForWindow(window[0] + window[1] + 1));
    this.dilation = options.dilation;
    this.window = window;
  }

  protected resolve(queryLength: number, keyLength: number): PatternRule {
    const [before, after] = this.window;
    const dilation = this.dilation;
    const shift = keyLength - queryLength;
    const residue = (position: number): number => ((position % dilation) + dilation) % dilation;
    return {
      queryLength,
      keyLength,
      allows: (row, column) => {
        const distance = row + shift - column;
        if (distance % dilation !== 0) return false;
        const steps = distance / dilation;
        return steps <= before && -steps <= after;
      },
      spans: (row) => {
        const position = row + shift;
        const lowest = position - before * dilation;
        const start = lowest >= 0 ? lowest : residue(position);
        const end = Math.min(keyLength, position + after * dilation + 1);
        return start < end ? [start, end, dilation] : [];
      },
      rowClass: (row) => residue(row + shift),
    };
  }
}

/**
 * Dilated sliding window (Longformer) or strided attention (Sparse Transformer): query `i`
 * attends keys `j = p - k · dilation` for whole `k` within the window of steps. The sparse
 * kernel groups queries by `p mod dilation`, so memory stays `O(L · keys per query)`.
 *
 * @param options.dilation - the gap between attended keys, `>= 1`.
 * @param options.window - steps reached (`W` or `[before, after]`), default unlimited.
 * @example
 * ```ts
 * // Sparse Transformer (Child et al. 2019), fixed heads: a local window plus a causal stride.
 * const pattern = unionPatterns([
 *   slidingWindowPattern({ window: 32 }),
 *   dilatedPattern({ dilation: 32 }),
 * ], { causal: true });
 * ```
 */
export function dilatedPattern(options: DilatedOptions): AttentionPattern {
  return new DilatedPattern(options);
}
