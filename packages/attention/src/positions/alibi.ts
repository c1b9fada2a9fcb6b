import { Tensor, ValueError, getBackend, type Backend } from '@heed/tensor';

function slopesForPowerOfTwo(count: number): number[] {
  const start = Math.pow(2, -8 / count);
  return Array.from({ length: count }, (_, index) => Math.pow(start, index + 1));
}

/**
 * ALiBi head slopes (Press et al. 2022): for `H` a power of two, the geometric sequence starting
 * at `2^(-8/H)` with that ratio; otherwise the slopes of the nearest lower power of two `m`
 * followed by every other slope of `2m` (the paper's reference code).
 *
 * @param numHeads - `H`.
 * @returns `H` slopes, largest first.
 * @example
 * ```ts
 * alibiSlopes(8); // [0.5, 0.25, 0.125, …, 0.00390625]
 * ```
 */
export function alibiSlopes(numHeads: number): number[] {
  if (!Number.isInteger(numHeads) || numHeads < 1) throw new ValueError('alibiSlopes', 'numHeads', `must be a positive integer, got ${numHeads}`);
  const lower = Math.pow(2, Math.floor(Math.log2(numHeads)));
  if (lower === numHeads) return slopesForPowerOfTwo(numHeads);
  const extra = slopesForPowerOfTwo(2 * lower).filter((_, index) => index % 2 === 0);
  return [...slopesForPowerOfTwo(lower), ...extra.slice(0, numHeads - lower)];
}

/** Options of {@link alibiBias}. */
export interface AlibiOptions {
  /** Penalise distance in both directions, `-m·|i - j|` (for bidirectional encoders); default false. */
  symmetric?: boolean;
  /** Backend to create the bias on. */
  backend?: Backend;
}

/**
 * The ALiBi attention bias `m_h · (j - i)` per head `h` (keys in the past are penalised linearly
 * with distance), as an additive mask for `scaledDotProductAttention` or `MultiHeadAttention`.
 * Queries are aligned to the bottom-right like heed's causal mask: query `i` sits at position
 * `i + S - L`, so it also works for step-by-step decoding with a key/value cache. Combine with
 * `causal: true` for decoders (the bias is positive for future keys, which the mask removes).
 *
 * Legend: `H` heads, `L` query length, `S` key length.
 *
 * @returns float `[H, L, S]`, broadcastable to `[B, H, L, S]`.
 * @example
 * ```ts
 * scaledDotProductAttention(q, k, v, { mask: alibiBias(H, L, S), causal: true }); // q [B, H, L, D]
 * ```
 */
export function alibiBias(numHeads: number, queryLength: number, keyLength: number = queryLength, options: AlibiOptions = {}): Tensor {
  const slopes = alibiSlopes(numHeads);
  for (const [name, value] of [['queryLength', queryLength], ['keyLength', keyLength]] as const) {
    if (!Number.isInteger(value) || value < 0) throw new ValueError('alibiBias', name, `must be a non-negative integer, got ${value}`);
  }
  const bias = new Float32Array(numHeads * queryLength * keyLength);
  const shift = keyLength - queryLength;
  slopes.forEach((slope, head) => {
    for (let row = 0; row < queryLength; row++) {
      for (let column = 0; column < keyLength; column++) {
        const distance = column - (row + shift);
        bias[(head * queryLength + row) * keyLength + column] = slope * (options.symmetric ? -Math.abs(distance) : distance) + 0; // + 0 turns -0 into 0
      }
    }
  });
  return Tensor.fromData(bias, [numHeads, queryLength, keyLength], 'float32', options.backend ?? getBackend());
}
