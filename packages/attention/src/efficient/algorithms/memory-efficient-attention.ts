/**
 * `memoryEfficientAttention`: exact softmax attention without the `L × S` weight matrix
 * (FlashAttention's algorithm: key blocks with an online softmax forward, a backward that
 * recomputes the weights from the per-row log-sum-exp).
 *
 * Legend: `B` batch, `H` heads, `L` query length, `S` key length, `D` head dim, `Dv` value dim.
 */
import { ValueError, flashAttention, type Tensor } from '@heed/tensor';
import { prepareAttentionInputs, type DenseAttentionOptions } from './attention-inputs.js';
import { checkWhole } from '../patterns/attention-pattern.js';

/** Options of {@link memoryEfficientAttention}. */
export interface MemoryEfficientAttentionOptions extends DenseAttentionOptions {
  /** Also return the per-row log-sum-exp (for `attentionWeightsForRows`). */
  returnLogSumExp?: boolean;
  /** Query rows per block of the composed path (default: about 4 M scores per block). */
  blockSize?: number;
  /**
   * `'fused'`: the backend's `attentionForward`/`attentionBackward` kernels (a `BackendError` if
   * it has none); `'composed'`: query blocks of ordinary ops (matmul, softmax), on any backend;
   * `'auto'` (default): fused when the backend supports it.
   */
  implementation?: 'auto' | 'fused' | 'composed';
}

/** The output and the per-row log-sum-exp of the scores over allowed keys. */
export interface MemoryEfficientAttentionResult {
  /** `[..., L, Dv]`. */
  output: Tensor;
  /** `[..., L]`: `log Σ_j exp(score_ij)` over allowed keys; `-Infinity` for a row with none. */
  logSumExp: Tensor;
}

/**
 * Exact softmax attention in memory linear in the sequence length: FlashAttention's algorithm
 * (keys in blocks with an online softmax) through the backend's fused `attentionForward` /
 * `attentionBackward` kernels when it has them, else composed ops over query blocks. The backward
 * pass recomputes the weights from the saved per-row log-sum-exp: only the output and `[..., L]`
 * log-sum-exps are kept. Equal to `scaledDotProductAttention` with the same bool mask, causal
 * rule (bottom-right aligned) and window; a query with no allowed key gives a zero output and
 * zero gradients.
 *
 * @param query - `[..., L, D]` (for example `[B, H, L, D]`).
 * @param key - `[..., S, D]`, same leading dims.
 * @param value - `[..., S, Dv]`.
 * @param options.mask - bool, broadcastable to `[..., L, S]` (true = may attend).
 * @param options.causal - bottom-right causal rule.
 * @param options.window - sliding window (reach `W` or `[before, after]`), never materialised.
 * @param options.returnLogSumExp - return `{ output, logSumExp }` instead of the output.
 * @param options.implementation - `'auto'` (default), `'fused'` or `'composed'`.
 * @returns `[..., L, Dv]` (or `{ output, logSumExp }`).
 * @example
 * ```ts
 * const query = randn([1, 1, 65536, 64]); // 64 Ki tokens: full attention would need 16 GiB
 * const out = memoryEfficientAttention(query, key, value, { causal: true }); // [1, 1, 65536, 64]
 * ```
 */
export function memoryEfficientAttention(
  query: Tensor,
  key: Tensor,
  value: Tensor,
  options: MemoryEfficientAttentionOptions & { returnLogSumExp: true },
): MemoryEfficientAttentionResult;
export function memoryEfficientAttention(query: Tensor, key: Tensor, value: Tensor, options?: MemoryEfficientAttentionOptions): Tensor;
export function memoryEfficientAttention(
  query: Tensor,
  key: Tensor,
  value: Tensor,
  options: MemoryEfficientAttentionOptions = {},
): Tensor | MemoryEfficientAttentionResult {
  const op = 'memoryEfficientAttention';
  const inputs = prepareAttentionInputs(op, query, key, value, options);
  if (options.blockSize !== undefined) checkWhole(op, 'blockSize', options.blockSize, 1);
  const implementation = options.implementation ?? 'auto';
  if (!['auto', 'fused', 'composed'].includes(implementation)) {
    throw new ValueError(op, 'implementation', `expected 'auto', 'fused' or 'composed', got ${String(implementation)}`);
  }
  // The op itself (fused kernels or composed blocks, and the gradient) lives in @heed/tensor.
  const result = flashAttention(query, key, value, {
    mask: inputs.keep,
    causal: inputs.causal,
    scale: inputs.scale,
    window: inputs.window,
    implementation,
    ...(options.blockSize !== undefined ? { blockSize: options.blockSize } : {}),
  });
  return options.returnLogSumExp ? result : result.output;
}
