/**
 * The attention core of `MultiHeadAttention` and the Transformer layers: how the per-head
 * `softmax(q kᵀ / √D) v` is computed once queries, keys and values are projected.
 *
 * Legend: `B` batch, `H` heads, `L` query length, `S` key length, `D` head dim, `Dv` value dim.
 */
import { DTypeError, ValueError, type Tensor } from '@heed/tensor';
import { linearAttention, type FeatureMap } from './efficient/algorithms/linear-attention.js';
import { memoryEfficientAttention } from './efficient/algorithms/memory-efficient-attention.js';
import type { AttentionWindow } from './efficient/patterns/window.js';

/**
 * Which algorithm computes attention inside multi-head attention:
 *
 * - `'dense'` (default): scores `[B, H, L, S]`, a weighting (softmax by default), dropout on the
 *   weights, weights times values. The only core that can return the weights, take additive
 *   (float) masks such as ALiBi, use another weighting, or apply dropout to the weights.
 * - `'memory-efficient'`: the same exact softmax attention through `memoryEfficientAttention`
 *   (FlashAttention's algorithm, the backend's fused kernel when it has one): memory linear in
 *   `L`, no `L × S` matrix. Bool masks, causal, key padding.
 * - `{ kind: 'local', window }`: exact softmax attention over a sliding window of keys around
 *   each query (`|p − j| < window`; with a causal mask the `window` keys up to the query), also
 *   through `memoryEfficientAttention`, in `O(L · window)`. `window` may be `[before, after]`.
 * - `{ kind: 'linear', featureMap }`: kernelised linear attention (Katharopoulos et al. 2020),
 *   `O(L)`; an approximation of softmax attention, not equal to it. Causal and key padding only.
 *
 * @example
 * ```ts
 * const mha = new MultiHeadAttention(64, 4, { attentionCore: 'memory-efficient' });
 * const local = new MultiHeadAttention(64, 4, { attentionCore: { kind: 'local', window: 32 } });
 * ```
 */
export type AttentionCore =
  | 'dense'
  | 'memory-efficient'
  | { readonly kind: 'local'; readonly window: AttentionWindow }
  | { readonly kind: 'linear'; readonly featureMap?: FeatureMap };

/** A core with its `kind` spelled out. */
export type ResolvedAttentionCore =
  | { readonly kind: 'dense' }
  | { readonly kind: 'memory-efficient' }
  | { readonly kind: 'local'; readonly window: AttentionWindow }
  | { readonly kind: 'linear'; readonly featureMap?: FeatureMap };

/**
 * Checks an {@link AttentionCore} and spells out its kind, or raises a `ValueError` naming `op`.
 *
 * @example
 * ```ts
 * resolveAttentionCore('MultiHeadAttention', 'memory-efficient'); // { kind: 'memory-efficient' }
 * ```
 */
export function resolveAttentionCore(op: string, core: AttentionCore | undefined): ResolvedAttentionCore {
  if (core === undefined || core === 'dense') return { kind: 'dense' };
  if (core === 'memory-efficient') return { kind: 'memory-efficient' };
  if (typeof core === 'object' && core !== null) {
    if (core.kind === 'local') {
      if (core.window === undefined) throw new ValueError(op, 'attentionCore', "the 'local' core needs a window (a reach W >= 1 or [before, after])");
      return core;
    }
    if (core.kind === 'linear') return core;
  }
  throw new ValueError(op, 'attentionCore', `expected 'dense', 'memory-efficient', { kind: 'local', window } or { kind: 'linear' }, got ${JSON.stringify(core)}`);
}

/** A short name of a core for messages and tables: `dense`, `memory-efficient`, `local(w=32)`, `linear`. */
export function attentionCoreName(core: ResolvedAttentionCore): string {
  return core.kind === 'local' ? `local(w=${JSON.stringify(core.window)})` : core.kind;
}

/** What a non-dense core is given: the combined mask (bool, true = may attend), the causal rule, and which mask kinds were used. */
export interface CoreInputs {
  /** Bool keep mask broadcastable to `[B, H, L, S]`, or null. */
  mask: Tensor | null;
  /** Bottom-right causal rule. */
  causal: boolean;
  /** Whether a mask other than the key padding mask was given (the linear core cannot take one). */
  hasQueryMask: boolean;
}

/**
 * Runs a non-dense core on per-head `query` `[B, H, L, D]`, `key` `[B, H, S, D]`, `value`
 * `[B, H, S, Dv]` (key/value heads already repeated for grouped-query attention) and returns the
 * heads' outputs `[B, H, L, Dv]`. The dense core stays with its caller (it also returns weights).
 *
 * @example
 * ```ts
 * const heads = runAttentionCore('MultiHeadAttention', { kind: 'memory-efficient' }, q, k, v, { mask: null, causal: true, hasQueryMask: false });
 * ```
 */
export function runAttentionCore(op: string, core: ResolvedAttentionCore, query: Tensor, key: Tensor, value: Tensor, inputs: CoreInputs): Tensor {
  const { mask, causal } = inputs;
  if (mask && mask.dtype !== 'bool') {
    throw new DTypeError(op, 'mask', `bool masks only with attentionCore '${attentionCoreName(core)}' (additive masks such as ALiBi need 'dense')`, mask.dtype);
  }
  switch (core.kind) {
    case 'memory-efficient':
      return memoryEfficientAttention(query, key, value, { mask, causal });
    case 'local':
      return memoryEfficientAttention(query, key, value, { mask, causal, window: core.window });
    case 'linear':
      if (inputs.hasQueryMask) {
        throw new ValueError(op, 'attnMask', "the 'linear' core takes only a key padding mask and causal; use 'dense' or 'memory-efficient' for other masks");
      }
      return linearAttention(query, key, value, { mask, causal, ...(core.featureMap ? { featureMap: core.featureMap } : {}) });
    case 'dense':
      throw new ValueError(op, 'attentionCore', "the 'dense' core runs in its caller");
  }
}
