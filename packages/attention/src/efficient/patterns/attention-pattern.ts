/**
 * The sparse-attention pattern vocabulary: which keys each query may attend, described so that
 * the kernels can visit only those keys. Every pattern can also draw itself as a dense bool mask
 * `[L, S]` (true = may attend), the same vocabulary as `causalMask` and `paddingMask`, so a
 * pattern is checked against full attention with that mask.
 *
 * Legend: `L` query length, `S` key length. Query `i` sits at key position `p = i + S - L`
 * (bottom-right alignment, as for causal masks).
 */
import { ShapeError, Tensor, ValueError, getBackend, type Shape } from '@heed/tensor';
import type { MaskOptions } from '../../masks.js';

/** The kinds of pattern heed ships. */
export type PatternKind = 'sliding-window' | 'dilated' | 'block-sparse' | 'global-tokens' | 'longformer' | 'bigbird' | 'union' | 'custom';

/** Where a pattern is applied, for error messages: the op and its query/key arguments. */
export interface PatternContext {
  readonly op: string;
  readonly query: { readonly name: string; readonly shape: Shape };
  readonly key: { readonly name: string; readonly shape: Shape };
}

/**
 * A pattern resolved for one pair of lengths `L`, `S`.
 */
export interface PatternRule {
  readonly queryLength: number;
  readonly keyLength: number;
  /** Whether query `row` may attend key `column`. */
  allows(row: number, column: number): boolean;
  /**
   * Flat `(start, end, step)` triples of key columns that cover every column `row` may attend
   * (they may cover more; `allows` decides). Kernels visit only these columns.
   */
  spans(row: number): readonly number[];
  /** Rows of one class need similar keys; `sparseAttention` groups rows only within a class. */
  rowClass(row: number): number;
  /**
   * (query, key) pairs examined when the rule was resolved, where that differs from the pairs
   * its spans cover: a custom pattern's calls of its rule. Unset, the span coverage is the count.
   */
  readonly examinedPairs?: number;
}

/**
 * @internal The (query, key) pairs a rule examines to plan: its `examinedPairs`, else the key
 * columns its spans cover, summed over rows.
 */
export function examinedPairs(rule: PatternRule): number {
  if (rule.examinedPairs !== undefined) return rule.examinedPairs;
  let total = 0;
  for (let row = 0; row < rule.queryLength; row++) {
    const spans = rule.spans(row);
    for (let index = 0; index < spans.length; index += 3) total += Math.max(0, Math.ceil((spans[index + 1] - spans[index]) / spans[index + 2]));
  }
  return total;
}

/** Options every pattern takes. */
export interface PatternOptions {
  /** And a causal rule (key `j` only if `j <= p`) into the pattern. */
  causal?: boolean;
  /** Query rows per group in `sparseAttention` (default: the pattern's natural size). */
  blockSize?: number;
}

function checkLength(op: string, argument: string, value: number): void {
  if (!Number.isInteger(value) || value < 0) throw new ValueError(op, argument, `expected a whole number >= 0, got ${value}`);
}

/** @internal Checks that an option is a whole number `>= minimum`. */
export function checkWhole(op: string, argument: string, value: number, minimum: number): void {
  if (!Number.isInteger(value) || value < minimum) throw new ValueError(op, argument, `expected a whole number >= ${minimum}, got ${value}`);
}

function clipSpans(spans: readonly number[], limit: number): number[] {
  const clipped: number[] = [];
  for (let index = 0; index < spans.length; index += 3) {
    const end = Math.min(spans[index + 1], limit);
    if (spans[index] < end) clipped.push(spans[index], end, spans[index + 2]);
  }
  return clipped;
}

/** @internal `rule` and-ed with the bottom-right causal rule `j <= i + S - L`. */
export function causalRule(inner: PatternRule): PatternRule {
  const shift = inner.keyLength - inner.queryLength;
  return {
    queryLength: inner.queryLength,
    keyLength: inner.keyLength,
    allows: (row, column) => column <= row + shift && inner.allows(row, column),
    spans: (row) => clipSpans(inner.spans(row), row + shift + 1),
    rowClass: (row) => inner.rowClass(row),
    ...(inner.examinedPairs === undefined ? {} : { examinedPairs: inner.examinedPairs }),
  };
}

/**
 * Which keys each query may attend, independent of the lengths until applied. Build one with
 * {@link slidingWindowPattern}, {@link dilatedPattern}, {@link blockSparsePattern},
 * {@link longformerPattern}, {@link bigBirdPattern}, {@link unionPatterns} or
 * `customPattern`, and pass it to `sparseAttention`.
 *
 * @example
 * ```ts
 * const pattern = slidingWindowPattern({ window: 2, causal: true });
 * pattern.denseMask(4).toArray();
 * // [[true, false, false, false], [true, true, false, false],
 * //  [false, true, true, false], [false, false, true, true]]
 * pattern.keyBlocks(8, 8, 4); // [Int32Array [0], Int32Array [0, 1]]
 * ```
 */
export abstract class AttentionPattern {
  /** What kind of pattern this is. */
  abstract readonly kind: PatternKind;
  /** Query rows per group in `sparseAttention`. */
  readonly blockSize: number;
  /** Whether a causal rule is and-ed into the pattern. */
  readonly causal: boolean;
  #cached: PatternRule | null = null;

  protected constructor(options: PatternOptions, naturalBlockSize: number) {
    this.causal = options.causal === true;
    this.blockSize = options.blockSize ?? naturalBlockSize;
    checkWhole('AttentionPattern', 'blockSize', this.blockSize, 1);
  }

  /** The rule for lengths `L`, `S`, after checking the pattern applies to them (subclasses). */
  protected abstract resolve(queryLength: number, keyLength: number, context: PatternContext): PatternRule;

  /**
   * The pattern resolved for `L` queries and `S` keys. Raises a `ShapeError`/`ValueError` naming
   * `context`'s op and argument when the pattern cannot apply (a block size not dividing `L`, …).
   */
  rule(queryLength: number, keyLength: number = queryLength, context?: PatternContext): PatternRule {
    const where = context ?? lengthContext(`${this.kind} pattern`, queryLength, keyLength);
    checkLength(where.op, 'queryLength', queryLength);
    checkLength(where.op, 'keyLength', keyLength);
    const cached = this.#cached;
    if (cached && cached.queryLength === queryLength && cached.keyLength === keyLength) return cached;
    const inner = this.resolve(queryLength, keyLength, where);
    const rule = this.causal ? causalRule(inner) : inner;
    this.#cached = rule;
    return rule;
  }

  /**
   * Whether query `row` may attend key `column` when there are `L` queries and `S` keys.
   *
   * @example
   * ```ts
   * slidingWindowPattern({ window: 2 }).allows(0, 1, 4); // true
   * ```
   */
  allows(row: number, column: number, queryLength: number, keyLength: number = queryLength): boolean {
    const rule = this.rule(queryLength, keyLength);
    if (!Number.isInteger(row) || row < 0 || row >= queryLength) throw new ValueError('AttentionPattern.allows', 'row', `expected a row in [0, ${queryLength}), got ${row}`);
    if (!Number.isInteger(column) || column < 0 || column >= keyLength) {
      throw new ValueError('AttentionPattern.allows', 'column', `expected a column in [0, ${keyLength}), got ${column}`);
    }
    return rule.allows(row, column);
  }

  /**
   * The pattern as a dense bool mask `[L, S]` (true = may attend), for full attention as a
   * reference, for `combineMasks`, or to draw it. This is the one method that costs `L × S`.
   *
   * @example
   * ```ts
   * scaledDotProductAttention(q, k, v, { mask: pattern.denseMask(L, S) }); // = sparseAttention(q, k, v, { pattern })
   * ```
   */
  denseMask(queryLength: number, keyLength: number = queryLength, options: MaskOptions = {}): Tensor {
    const rule = this.rule(queryLength, keyLength);
    const data = new Uint8Array(queryLength * keyLength);
    for (let row = 0; row < queryLength; row++) {
      const spans = rule.spans(row);
      const base = row * keyLength;
      for (let index = 0; index < spans.length; index += 3) {
        for (let column = spans[index]; column < spans[index + 1]; column += spans[index + 2]) {
          if (rule.allows(row, column)) data[base + column] = 1;
        }
      }
    }
    return Tensor.fromData(data, [queryLength, keyLength], 'bool', options.backend ?? getBackend());
  }

  /**
   * The key blocks each query block may attend: entry `b` lists, ascending, the indices of the
   * key blocks (`blockSize` keys each, the last one may be shorter) holding at least one key that
   * some query of block `b` may attend. This is the block layout of the pattern (PyTorch
   * `flex_attention`'s `BlockMask`), for inspection and drawing.
   *
   * @example
   * ```ts
   * slidingWindowPattern({ window: [4, 0] }).keyBlocks(8, 8, 4); // [[0], [0, 1]]
   * ```
   */
  keyBlocks(queryLength: number, keyLength: number = queryLength, blockSize: number = this.blockSize): Int32Array[] {
    checkWhole('AttentionPattern.keyBlocks', 'blockSize', blockSize, 1);
    const rule = this.rule(queryLength, keyLength);
    const collector = new ColumnCollector(keyLength);
    const blocks: Int32Array[] = [];
    const rows = new Int32Array(blockSize);
    for (let start = 0; start < queryLength; start += blockSize) {
      const count = Math.min(blockSize, queryLength - start);
      for (let index = 0; index < count; index++) rows[index] = start + index;
      const columns = collector.collect(rule, rows, count);
      const unique = new Set<number>();
      for (const column of columns) unique.add(Math.floor(column / blockSize));
      blocks.push(Int32Array.from([...unique].sort((a, b) => a - b)));
    }
    return blocks;
  }
}

/** @internal A context naming `queryLength`/`keyLength`, for calls made with bare lengths. */
export function lengthContext(op: string, queryLength: number, keyLength: number): PatternContext {
  return { op, query: { name: 'queryLength', shape: [queryLength] }, key: { name: 'keyLength', shape: [keyLength] } };
}

/**
 * @internal A `ShapeError` for a length the pattern cannot take, naming the query or key argument:
 * `argument query: expected shape [..., L, D] with L a multiple of blockSize 16, got [2, 30, 8]`.
 */
export function lengthError(context: PatternContext, which: 'query' | 'key', requirement: string): ShapeError {
  const target = context[which];
  const symbol = which === 'query' ? 'L' : 'S';
  const pattern = target.name.endsWith('Length') ? `[${symbol}]` : `[..., ${symbol}, D]`;
  return new ShapeError(context.op, target.name, `${pattern} with ${symbol} ${requirement}`, target.shape);
}

/**
 * @internal Finds the key columns that at least one of a set of rows may attend: marks the
 * rows' spans, then keeps the marked columns some row allows. Reuses its buffers.
 */
export class ColumnCollector {
  readonly #marks: Uint8Array;
  readonly #candidates: Int32Array;

  constructor(keyLength: number) {
    this.#marks = new Uint8Array(keyLength);
    this.#candidates = new Int32Array(keyLength);
  }

  /** Ascending columns that some of `rows[0 … count)` may attend. */
  collect(rule: PatternRule, rows: Int32Array, count: number): Int32Array {
    const marks = this.#marks;
    const candidates = this.#candidates;
    let found = 0;
    for (let index = 0; index < count; index++) {
      const spans = rule.spans(rows[index]);
      for (let span = 0; span < spans.length; span += 3) {
        for (let column = spans[span]; column < spans[span + 1]; column += spans[span + 2]) {
          if (marks[column] === 0) {
            marks[column] = 1;
            candidates[found++] = column;
          }
        }
      }
    }
    let kept = 0;
    for (let index = 0; index < found; index++) {
      const column = candidates[index];
      marks[column] = 0;
      for (let row = 0; row < count; row++) {
        if (rule.allows(rows[row], column)) {
          candidates[kept++] = column;
          break;
        }
      }
    }
    return candidates.slice(0, kept).sort();
  }
}

/** The union of patterns; see {@link unionPatterns}. */
class UnionPattern extends AttentionPattern {
  readonly kind = 'union';
  readonly patterns: readonly AttentionPattern[];

  constructor(patterns: readonly AttentionPattern[], options: PatternOptions) {
    super(options, Math.min(...patterns.map((pattern) => pattern.blockSize)));
    this.patterns = [...patterns];
  }

  protected resolve(queryLength: number, keyLength: number, context: PatternContext): PatternRule {
    const rules = this.patterns.map((pattern) => pattern.rule(queryLength, keyLength, context));
    return {
      queryLength,
      keyLength,
      allows: (row, column) => rules.some((rule) => rule.allows(row, column)),
      spans: (row) => rules.flatMap((rule) => rule.spans(row)),
      // Rows share a class only if they do in every pattern (a collision costs padding, never correctness).
      rowClass: (row) => rules.reduce((combined, rule) => (combined * 1_000_003 + rule.rowClass(row)) % 2 ** 32, 0),
      ...(rules.some((rule) => rule.examinedPairs !== undefined) ? { examinedPairs: rules.reduce((total, rule) => total + examinedPairs(rule), 0) } : {}),
    };
  }
}

/**
 * A key is allowed where any of the patterns allows it (BigBird's and Longformer's patterns are
 * such unions). `options.causal` is and-ed in after the union.
 *
 * @example
 * ```ts
 * const pattern = unionPatterns([slidingWindowPattern({ window: 64 }), dilatedPattern({ dilation: 64 })], { causal: true });
 * ```
 */
export function unionPatterns(patterns: readonly AttentionPattern[], options: PatternOptions = {}): AttentionPattern {
  if (patterns.length === 0 || !patterns.every((pattern) => pattern instanceof AttentionPattern)) {
    throw new ValueError('unionPatterns', 'patterns', 'expected a non-empty list of AttentionPattern');
  }
  return new UnionPattern(patterns, options);
}
