import { ShapeError, concat, formatShape, type Tensor } from '@heed/tensor';

/** Options of {@link KeyValueCache}. */
export interface KeyValueCacheOptions {
  /**
   * Keep the first keys and values and reuse them on later calls instead of appending (for
   * cross-attention to a fixed encoder output). Default false: every call appends (self-attention).
   */
  static?: boolean;
}

/**
 * Projected keys and values of earlier decoding steps, per layer: `key` `[B, Hkv, S, D]` and
 * `value` `[B, Hkv, S, Dv]`. Pass one to `MultiHeadAttention.forward` (`{ cache, causal: true }`)
 * and feed the sequence a token (or a chunk) at a time: each call appends its keys and values
 * and attends over all of them, so the outputs equal those of one causal pass over the whole
 * sequence, at a cost per step linear in the length so far. Rotary and ALiBi positions continue
 * from `length`. Run decoding under `noGrad` unless you mean to backpropagate through the cache.
 *
 * Legend: `B` batch, `Hkv` key/value heads, `S` cached length, `D` head dim.
 *
 * @example
 * ```ts
 * const cache = new KeyValueCache();
 * for (const token of tokens) output.push(mha.forward(token, token, token, { cache, causal: true }).output);
 * ```
 */
export class KeyValueCache {
  #key: Tensor | null = null;
  #value: Tensor | null = null;

  constructor(readonly options: KeyValueCacheOptions = {}) {}

  /** Cached keys `[B, Hkv, S, D]`, or null before the first step. */
  get key(): Tensor | null {
    return this.#key;
  }

  /** Cached values `[B, Hkv, S, Dv]`, or null before the first step. */
  get value(): Tensor | null {
    return this.#value;
  }

  /** `S`, the number of cached positions (0 before the first step). */
  get length(): number {
    return this.#key ? this.#key.shape[2] : 0;
  }

  /** Whether a static cache already holds its keys and values (later calls reuse them). */
  get frozen(): boolean {
    return this.options.static === true && this.#key !== null;
  }

  /**
   * Appends `key` `[B, Hkv, S_new, D]` and `value` `[B, Hkv, S_new, Dv]` (a static cache keeps
   * the first ones and ignores later ones) and returns every cached key and value.
   */
  update(key: Tensor, value: Tensor): [Tensor, Tensor] {
    if (this.frozen) return [this.#key!, this.#value!];
    if (this.#key && this.#value) {
      const [batch, heads, , depth] = this.#key.shape;
      if (key.rank !== 4 || key.shape[0] !== batch || key.shape[1] !== heads || key.shape[3] !== depth) {
        throw new ShapeError('KeyValueCache', 'key', `[${batch}, ${heads}, S, ${depth}] like the cached keys`, key.shape);
      }
      if (value.rank !== 4 || value.shape[0] !== batch || value.shape[1] !== heads || value.shape[2] !== key.shape[2] || value.shape[3] !== this.#value.shape[3]) {
        throw new ShapeError('KeyValueCache', 'value', `[${batch}, ${heads}, ${key.shape[2]}, ${this.#value.shape[3]}]`, value.shape, `cached values are ${formatShape(this.#value.shape)}`);
      }
      this.#key = concat([this.#key, key], 2);
      this.#value = concat([this.#value, value], 2);
    } else {
      this.#key = key;
      this.#value = value;
    }
    return [this.#key, this.#value];
  }

  /** Empties the cache (start a new sequence). */
  reset(): void {
    this.#key = null;
    this.#value = null;
  }
}
