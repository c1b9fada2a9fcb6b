/**
 * `customPattern`: a sparse-attention pattern from the user's own rule, planned so that its cost
 * follows the pairs it allows. When resolved for lengths `L`, `S` the rule is turned once into a
 * compact list of allowed keys per row (compressed sparse rows); everything after that (the
 * plan's key gathering, `denseMask`, `keyBlocks`, `allows`) reads the list and never calls the
 * user's functions again.
 *
 * Legend: `L` query length, `S` key length. Query `i` sits at key position `p = i + S - L`.
 */
import { ValueError } from '@heed/tensor';
import { AttentionPattern, type PatternOptions, type PatternRule } from './attention-pattern.js';

/**
 * Keys `start, start + step, …` below `end` (`step` default 1). Returned by
 * {@link CustomPatternOptions.keys}; clipped to `[0, S)` as a slice is, so a window written
 * `{ start: p - 2, end: p + 3 }` needs no edge cases.
 */
export interface KeySpan {
  readonly start: number;
  readonly end: number;
  readonly step?: number;
}

/** Whether query `row` may attend key `column`, for `L` queries and `S` keys (flex_attention's `mask_mod`). */
export type KeyPredicate = (row: number, column: number, queryLength: number, keyLength: number) => boolean;

/**
 * The keys query `row` may attend, for `L` queries and `S` keys: key indices (each in `[0, S)`,
 * any order, repeats ignored) and/or {@link KeySpan}s, in any iterable (an array, an
 * `Int32Array`, a generator).
 */
export type KeyLister = (row: number, queryLength: number, keyLength: number) => Iterable<number | KeySpan>;

/** Options of {@link customPattern}. */
export interface CustomPatternOptions extends PatternOptions {
  /**
   * The keys each row may attend. Planning then costs the keys listed, not `L × S`. With
   * `allows` as well, the listed keys are candidates and `allows` decides among them.
   */
  keys?: KeyLister;
  /** Whether a pair is allowed. Alone, it is called once for every pair (`L × S` calls, about half with `causal`). */
  allows?: KeyPredicate;
}

/** A growable Int32Array. */
class IntList {
  data = new Int32Array(64);
  length = 0;
  push(value: number): void {
    if (this.length === this.data.length) {
      const grown = new Int32Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.data[this.length++] = value;
  }
}

function isWhole(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value);
}

/** Sorted, de-duplicated keys `row` may attend, pushed to `columns`; returns how many pairs were examined. */
function listRow(row: number, queryLength: number, keyLength: number, limit: number, options: CustomPatternOptions, marks: Uint8Array, columns: IntList): number {
  const { keys, allows } = options;
  const first = columns.length;
  let examined = 0;
  const consider = (column: number): void => {
    if (column >= limit || marks[column] === 1) return;
    marks[column] = 1;
    examined++;
    if (allows === undefined || allows(row, column, queryLength, keyLength)) columns.push(column);
  };
  if (keys === undefined) {
    for (let column = 0; column < limit; column++) {
      examined++;
      if (allows!(row, column, queryLength, keyLength)) columns.push(column);
    }
    return examined;
  }
  const listed: unknown = keys(row, queryLength, keyLength);
  if (listed === null || typeof listed !== 'object' || typeof (listed as Iterable<unknown>)[Symbol.iterator] !== 'function') {
    throw new ValueError('customPattern', 'keys', `expected keys(row, L, S) to return an iterable of key indices or spans, got ${String(listed)} for row ${row}`);
  }
  const seen = new IntList();
  const visit = (column: number): void => {
    if (marks[column] === 0) seen.push(column);
    consider(column);
  };
  for (const entry of listed as Iterable<unknown>) {
    if (isWhole(entry)) {
      if (entry < 0 || entry >= keyLength) throw new ValueError('customPattern', 'keys', `row ${row}: key ${entry} is outside the ${keyLength} keys [0, ${keyLength})`);
      visit(entry);
    } else if (entry !== null && typeof entry === 'object' && isWhole((entry as KeySpan).start) && isWhole((entry as KeySpan).end)) {
      const { start, end, step = 1 } = entry as KeySpan;
      if (!isWhole(step) || step < 1) throw new ValueError('customPattern', 'keys', `row ${row}: span step must be a whole number >= 1, got ${String(step)}`);
      const from = start >= 0 ? start : start + Math.ceil(-start / step) * step;
      for (let column = from; column < Math.min(end, keyLength); column += step) visit(column);
    } else {
      throw new ValueError('customPattern', 'keys', `row ${row}: expected a whole key index or a { start, end, step? } span, got ${JSON.stringify(entry) ?? String(entry)}`);
    }
  }
  for (let index = 0; index < seen.length; index++) marks[seen.data[index]] = 0;
  columns.data.subarray(first, columns.length).sort();
  return examined;
}

/**
 * Greedy groups of consecutive rows (at most `most` rows), closed before padding would exceed
 * twice the allowed pairs: a group of `r` rows gathering `k` keys costs `r · k`.
 */
function groupRows(rowStart: Int32Array, columns: Int32Array, keyLength: number, most: number): Int32Array {
  const queryLength = rowStart.length - 1;
  const groupOf = new Int32Array(queryLength);
  const marks = new Uint8Array(keyLength);
  const union = new IntList();
  let group = 0;
  let rows = 0;
  let allowed = 0;
  for (let row = 0; row < queryLength; row++) {
    const [start, end] = [rowStart[row], rowStart[row + 1]];
    let fresh = 0;
    for (let index = start; index < end; index++) fresh += 1 - marks[columns[index]];
    if (rows > 0 && (rows >= most || (rows + 1) * (union.length + fresh) > 2 * (allowed + end - start))) {
      for (let index = 0; index < union.length; index++) marks[union.data[index]] = 0;
      union.length = 0;
      [group, rows, allowed, fresh] = [group + 1, 0, 0, end - start];
    }
    for (let index = start; index < end; index++) {
      if (marks[columns[index]] === 0) {
        marks[columns[index]] = 1;
        union.push(columns[index]);
      }
    }
    rows++;
    allowed += end - start;
    groupOf[row] = group;
  }
  return groupOf;
}

/** A row's sorted keys as `(start, end, step)` runs of constant step. */
function runsOf(columns: Int32Array, start: number, end: number): number[] {
  const spans: number[] = [];
  let index = start;
  while (index < end) {
    const first = columns[index];
    if (index + 1 === end) {
      spans.push(first, first + 1, 1);
      break;
    }
    const step = columns[index + 1] - first;
    let last = index + 1;
    while (last + 1 < end && columns[last + 1] - columns[last] === step) last++;
    spans.push(first, columns[last] + 1, step);
    index = last + 1;
  }
  return spans;
}

/** A pattern built from the user's rule; see {@link customPattern}. */
class CustomPattern extends AttentionPattern {
  readonly kind = 'custom';
  readonly #options: CustomPatternOptions;

  constructor(options: CustomPatternOptions) {
    super(options, 32);
    this.#options = options;
  }

  protected resolve(queryLength: number, keyLength: number): PatternRule {
    const shift = keyLength - queryLength;
    const rowStart = new Int32Array(queryLength + 1);
    const list = new IntList();
    const marks = new Uint8Array(keyLength);
    let examined = 0;
    for (let row = 0; row < queryLength; row++) {
      // The pattern's own causal rule is applied after resolving; keys past it need no call.
      const limit = this.causal ? Math.max(0, Math.min(keyLength, row + shift + 1)) : keyLength;
      examined += listRow(row, queryLength, keyLength, limit, this.#options, marks, list);
      rowStart[row + 1] = list.length;
    }
    const columns = list.data.slice(0, list.length);
    const groupOf = groupRows(rowStart, columns, keyLength, this.blockSize);
    const allows = (row: number, column: number): boolean => {
      let [low, high] = [rowStart[row], rowStart[row + 1]];
      while (low < high) {
        const middle = (low + high) >>> 1;
        if (columns[middle] < column) low = middle + 1;
        else high = middle;
      }
      return low < rowStart[row + 1] && columns[low] === column;
    };
    return {
      queryLength,
      keyLength,
      allows,
      spans: (row) => runsOf(columns, rowStart[row], rowStart[row + 1]),
      rowClass: (row) => groupOf[row],
      examinedPairs: examined,
    };
  }
}

/**
 * A sparse pattern from your own rule (PyTorch `flex_attention`'s `mask_mod`), for
 * `sparseAttention`. Give the allowed keys of each row (`keys`), a predicate over pairs
 * (`allows`), or both (`keys` lists candidates, `allows` decides).
 *
 * Cost: when the pattern is first applied at lengths `L`, `S` (and again only when the lengths
 * change), the rule is evaluated once into a list of allowed keys per row. With `keys` that
 * costs one `keys` call per row plus the keys listed (one `allows` call per listed key when both
 * are given); with `allows` alone it is one call per pair, `L × S` (the causal half with
 * `causal: true`), so prefer `keys` for long sequences. Memory is linear in the allowed pairs.
 * Consecutive rows are then grouped while a group's padded `rows × gathered keys` stays within
 * twice its allowed pairs, so `sparseAttention` computes `O(allowed pairs + L)` scores per batch
 * and head, like the built-in patterns. `sparseAttentionCost` reports the allowed, computed and
 * examined pairs.
 *
 * @param allows - `(row, column, L, S) => boolean`; or, as the only argument, the options with
 *   `keys` and/or `allows`.
 * @param options.keys - `(row, L, S) =>` key indices in `[0, S)` and/or `{ start, end, step? }`
 *   spans (clipped to `[0, S)`).
 * @param options.causal - and the bottom-right causal rule in (`j <= i + S - L`).
 * @param options.blockSize - most query rows per group (default 32).
 * @example
 * ```ts
 * // A prefix LM: the first 4 keys are seen by all, the rest causally. L × S predicate calls:
 * const prefixLm = customPattern((row, column) => column < 4 || column <= row);
 * // The same pattern listing each row's keys: planning costs the allowed pairs only.
 * const listed = customPattern({ keys: (row) => [{ start: 0, end: Math.max(4, row + 1) }] });
 * sparseAttention(query, key, value, { pattern: listed }); // [B, H, L, Dv]
 * // Candidates plus a rule: a window of 9 keys, of which only keys of the same segment.
 * const segments = customPattern({
 *   keys: (row) => [{ start: row - 4, end: row + 5 }],
 *   allows: (row, column) => Math.floor(row / 16) === Math.floor(column / 16),
 * });
 * ```
 */
export function customPattern(allows: KeyPredicate, options?: Omit<CustomPatternOptions, 'allows'>): AttentionPattern;
export function customPattern(options: CustomPatternOptions): AttentionPattern;
export function customPattern(first: KeyPredicate | CustomPatternOptions, second: CustomPatternOptions = {}): AttentionPattern {
  const options: CustomPatternOptions = typeof first === 'function' ? { ...second, allows: first } : { ...(first ?? {}) };
  if (typeof first !== 'function' && (first === null || typeof first !== 'object')) {
    throw new ValueError('customPattern', 'allows', `expected a function (row, column, L, S) => boolean or options { keys, allows }, got ${String(first)}`);
  }
  if (options.allows !== undefined && typeof options.allows !== 'function') throw new ValueError('customPattern', 'allows', 'expected a function (row, column, L, S) => boolean');
  if (options.keys !== undefined && typeof options.keys !== 'function') throw new ValueError('customPattern', 'keys', 'expected a function (row, L, S) => key indices or spans');
  if (options.allows === undefined && options.keys === undefined) throw new ValueError('customPattern', 'keys', 'expected keys(row, L, S), allows(row, column, L, S), or both');
  return new CustomPattern(options);
}
