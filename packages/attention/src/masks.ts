/**
 * heed's one mask vocabulary, shared by every attention function in this package.
 *
 * - A **boolean mask** says which keys a query may attend: `true` = may attend, `false` = masked.
 *   (This is `F.scaled_dot_product_attention`'s meaning. PyTorch's `nn.MultiheadAttention` uses
 *   the opposite for its bool masks; heed does not: `true` always means "keep".)
 * - An **additive mask** is a float tensor added to the scores; `-Infinity` forbids a key.
 * - Masks broadcast like NumPy against the score shape `[B, H, L, S]` (more generally
 *   `[...batch, L, S]`): `[L, S]`, `[B, 1, 1, S]`, `[B, H, L, S]` and `[]` all work.
 * - A query row with no allowed key gets all-zero weights, a zero output and zero gradients.
 *
 * Legend: `B` batch, `H` heads, `L` query length, `S` key length.
 */
import {
  DTypeError,
  ShapeError,
  Tensor,
  ValueError,
  add,
  formatShape,
  getBackend,
  gt,
  logicalAnd,
  where,
  type Backend,
  type Shape,
} from '@heed/tensor';

/** A boolean (true = may attend) or additive float mask, broadcastable to `[B, H, L, S]`. */
export type AttentionMask = Tensor;

/** Options of the mask constructors. */
export interface MaskOptions {
  /** Backend to create the mask on (default: the current backend). */
  backend?: Backend;
}

function checkLength(op: string, argument: string, value: number): void {
  if (!Number.isInteger(value) || value < 0) throw new ValueError(op, argument, `expected a non-negative integer, got ${value}`);
}

/**
 * The causal mask, aligned to the bottom-right corner: query `i` may attend key `j` iff
 * `j <= i + S - L`. With `L = S` this is the usual lower triangle; with `L < S` (decoding with a
 * key/value cache) the last query sees every key; with `L > S` the first `L - S` rows see no key.
 *
 * @param queryLength - `L`, the number of queries.
 * @param keyLength - `S`, the number of keys (default `L`).
 * @returns bool `[L, S]`, true = may attend.
 * @example
 * ```ts
 * causalMask(2, 3).toArray(); // [[true, true, false], [true, true, true]]
 * ```
 */
export function causalMask(queryLength: number, keyLength: number = queryLength, options: MaskOptions = {}): Tensor {
  checkLength('causalMask', 'queryLength', queryLength);
  checkLength('causalMask', 'keyLength', keyLength);
  const data = new Uint8Array(queryLength * keyLength);
  const shift = keyLength - queryLength;
  for (let row = 0; row < queryLength; row++) {
    const last = Math.min(keyLength - 1, row + shift);
    for (let column = 0; column <= last; column++) data[row * keyLength + column] = 1;
  }
  return Tensor.fromData(data, [queryLength, keyLength], 'bool', options.backend ?? getBackend());
}

/**
 * A key padding mask from sequence lengths or from a per-key keep mask.
 *
 * @param lengthsOrKeep - either the real length of each sequence (`number[]` or an int/float
 *   tensor `[B]`; key `j` is kept iff `j < length`), or a bool tensor `[B, S]` (true = real token).
 * @param keyLength - `S`; required with lengths unless it should be the longest length.
 * @returns bool `[B, 1, 1, S]`, ready to broadcast against `[B, H, L, S]` scores.
 * @example
 * ```ts
 * paddingMask([2, 3], 3).reshape([2, 3]).toArray(); // [[true, true, false], [true, true, true]]
 * ```
 */
export function paddingMask(lengthsOrKeep: Tensor | readonly number[], keyLength?: number, options: MaskOptions = {}): Tensor {
  const op = 'paddingMask';
  if (lengthsOrKeep instanceof Tensor && lengthsOrKeep.dtype === 'bool') {
    const keep = lengthsOrKeep;
    if (keep.rank !== 2) throw new ShapeError(op, 'lengthsOrKeep', 'bool [B, S] or lengths [B]', keep.shape);
    const [batch, keys] = keep.shape as [number, number];
    if (keyLength !== undefined && keyLength !== keys) {
      throw new ShapeError(op, 'lengthsOrKeep', `bool [B, S] with S = keyLength = ${keyLength}`, keep.shape);
    }
    return keep.reshape([batch, 1, 1, keys]);
  }
  const lengths = lengthsOrKeep instanceof Tensor ? Array.from(lengthsOrKeep.dataSync(), Number) : [...lengthsOrKeep];
  if (lengthsOrKeep instanceof Tensor && lengthsOrKeep.rank !== 1) {
    throw new ShapeError(op, 'lengthsOrKeep', 'lengths [B] or bool [B, S]', lengthsOrKeep.shape);
  }
  const keys = keyLength ?? Math.max(0, ...lengths);
  checkLength(op, 'keyLength', keys);
  const data = new Uint8Array(lengths.length * keys);
  lengths.forEach((length, row) => {
    if (!Number.isInteger(length) || length < 0 || length > keys) {
      throw new ValueError(op, 'lengthsOrKeep', `length ${length} of sequence ${row} is not an integer in [0, ${keys}]`);
    }
    data.fill(1, row * keys, row * keys + length);
  });
  const backend = options.backend ?? (lengthsOrKeep instanceof Tensor ? lengthsOrKeep.backend : getBackend());
  return Tensor.fromData(data, [lengths.length, 1, 1, keys], 'bool', backend);
}

/**
 * Turns a bool keep-mask into an additive one: 0 where kept, `-Infinity` where masked. A float
 * mask is returned unchanged.
 *
 * @example
 * ```ts
 * additiveMask(causalMask(2)).toArray(); // [[0, -Infinity], [0, 0]]
 * ```
 */
export function additiveMask(mask: AttentionMask): Tensor {
  checkMaskDType('additiveMask', 'mask', mask);
  return mask.dtype === 'bool' ? where(mask, 0, -Infinity) : mask;
}

/**
 * Combines masks so that a key is allowed only where every mask allows it. Bool masks are
 * and-ed (the result is bool); if any mask is additive, bool masks become 0/-Infinity and all
 * are summed (the result is float). `null`/`undefined` entries are ignored.
 *
 * @returns the combined mask, broadcast to the masks' common shape, or `null` when none given.
 * @example
 * ```ts
 * combineMasks(causalMask(4), paddingMask([3, 4], 4)); // bool [2, 1, 4, 4]
 * ```
 */
export function combineMasks(...masks: readonly (AttentionMask | null | undefined)[]): Tensor | null {
  const given = masks.filter((mask): mask is Tensor => mask !== null && mask !== undefined);
  given.forEach((mask, index) => checkMaskDType('combineMasks', `masks[${index}]`, mask));
  if (given.length === 0) return null;
  if (given.every((mask) => mask.dtype === 'bool')) return given.reduce((total, mask) => logicalAnd(total, mask));
  return given.map(additiveMask).reduce((total, mask) => add(total, mask));
}

function checkMaskDType(op: string, argument: string, mask: Tensor): void {
  if (mask.dtype === 'int32') throw new DTypeError(op, argument, 'bool (true = may attend) or float32 (additive)', mask.dtype);
}

/** What {@link normalizeMask} makes of a user mask. */
export interface NormalizedMask {
  /** Bool keep-mask (true = may attend) of the target shape (a broadcast view), or null if every key is allowed. */
  keep: Tensor | null;
  /** Finite additive bias of the target shape (0 where `keep` is false), or null when the mask was bool. */
  bias: Tensor | null;
}

/** Options of {@link normalizeMask}. */
export interface NormalizeMaskOptions {
  /** The argument's name for error messages (default `mask`). */
  argument?: string;
  /** And a bottom-right aligned causal mask into `keep`. */
  causal?: boolean;
  /** How the target shape is written in error messages (default `[..., L, S]`). */
  pattern?: string;
  /**
   * Expand to the full target shape (default true). When false, `keep`/`bias` keep their own
   * sizes (1 on broadcast dimensions) at the target's rank.
   */
  broadcast?: boolean;
}

/** Puts `mask` at the target's rank (leading 1s) after checking that it broadcasts to `target`. */
function alignMask(op: string, mask: Tensor, target: Shape, argument: string, pattern: string): Tensor {
  const fits = mask.rank <= target.length && mask.shape.every((size, index) => {
    const want = target[target.length - mask.rank + index];
    return size === want || size === 1;
  });
  if (!fits) throw new ShapeError(op, argument, `broadcastable to ${pattern} = ${formatShape(target)}`, mask.shape);
  return mask.rank === target.length ? mask : mask.reshape([...Array<number>(target.length - mask.rank).fill(1), ...mask.shape]);
}

/**
 * Checks that `mask` is a bool or float tensor broadcastable to `target`, raising a
 * `ShapeError`/`DTypeError` that names `argument`, the expected `pattern` (e.g. `[B, H, L, S]`)
 * and the shapes. Returns the mask reshaped to the target's rank (leading 1s, no copy).
 *
 * @example
 * ```ts
 * checkMask('MultiHeadAttention', attnMask, [B, H, L, S], 'attnMask', '[B, H, L, S]');
 * ```
 */
export function checkMask(op: string, mask: AttentionMask, target: Shape, argument = 'mask', pattern = '[..., L, S]'): Tensor {
  checkMaskDType(op, argument, mask);
  return alignMask(op, mask, target, argument, pattern);
}

/**
 * Normalises a user mask for an attention kernel: checks its dtype and that it broadcasts to the
 * score shape `target` (`[..., L, S]`), and returns a bool keep-mask plus, for an additive mask,
 * a finite bias. `-Infinity` (and NaN) entries of an additive mask become `keep = false` and
 * bias 0, so kernels never compute `-Infinity - -Infinity`. Raises `ShapeError` naming the
 * argument, the expected pattern and the received shape; `DTypeError` for int masks.
 *
 * @param op - the calling op, for error messages.
 * @param mask - bool or additive mask, or null/undefined for none.
 * @param target - the score shape, for example `[B, H, L, S]`.
 * @returns `{ keep, bias }`, both broadcast views of `target` (or null).
 * @example
 * ```ts
 * const { keep, bias } = normalizeMask('myAttention', mask, [2, 4, 5, 5], { causal: true });
 * ```
 */
export function normalizeMask(
  op: string,
  mask: AttentionMask | null | undefined,
  target: Shape,
  options: NormalizeMaskOptions = {},
): NormalizedMask {
  const argument = options.argument ?? 'mask';
  const pattern = options.pattern ?? '[..., L, S]';
  if (target.length < 2) throw new ShapeError(op, 'target', '[..., L, S]', target);
  const finish = (tensor: Tensor | null): Tensor | null =>
    tensor && options.broadcast !== false ? tensor.expand(target) : tensor;
  let keep: Tensor | null = null;
  let bias: Tensor | null = null;
  if (mask) {
    checkMaskDType(op, argument, mask);
    const aligned = alignMask(op, mask, target, argument, pattern);
    if (aligned.dtype === 'bool') keep = aligned;
    else {
      keep = gt(aligned, -Infinity);
      bias = where(keep, aligned, 0);
    }
  }
  if (options.causal) {
    const queries = target[target.length - 2];
    const keys = target[target.length - 1];
    const causal = causalMask(queries, keys, { backend: mask?.backend ?? getBackend() });
    const lifted = causal.reshape([...Array<number>(target.length - 2).fill(1), queries, keys]);
    keep = keep ? logicalAnd(keep, lifted) : lifted;
  }
  return { keep: finish(keep), bias: finish(bias) };
}
