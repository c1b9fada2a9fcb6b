/**
 * Planning for `sparseAttention`: which query rows are computed together and which keys each
 * group gathers. Rows are grouped (within a pattern's row class) into groups of up to
 * `rowsPerGroup`; a group gathers exactly the keys some of its rows may attend; groups with
 * similar key counts share one padded, batched computation (a bucket).
 *
 * Memory is `Σ groups · rows · keys`, about `L · (rowsPerGroup + keys per row)`, never `L × S`
 * unless the pattern itself is dense.
 */
import { causalRule, ColumnCollector, examinedPairs, type AttentionPattern, type PatternContext, type PatternRule } from '../patterns/attention-pattern.js';

/** Groups that are computed in one batched step, padded to `rows × keys` each. */
export interface SparseBucket {
  readonly groups: number;
  readonly rows: number;
  readonly keys: number;
  /** `[groups · rows]` query rows (padding repeats a real row; its output is dropped). */
  readonly rowIndex: Int32Array;
  /** `[groups · keys]` key columns (padding is column 0, never allowed). */
  readonly keyIndex: Int32Array;
  /** `[groups · rows · keys]`, 1 where the row may attend the gathered key. */
  readonly allowed: Uint8Array;
}

/** A sparse-attention plan for one pattern and lengths. */
export interface SparsePlan {
  readonly buckets: readonly SparseBucket[];
  /** `[L]`: where query row `i` lands when the buckets' rows are concatenated. */
  readonly rowPosition: Int32Array;
  /** Allowed (query, key) pairs, and pairs computed (allowed plus padding). */
  readonly allowedPairs: number;
  readonly computedPairs: number;
  /** Pairs examined to find the allowed ones (span entries, or a custom pattern's rule calls). */
  readonly examinedPairs: number;
}

interface Group {
  rows: Int32Array;
  keys: Int32Array;
  allowed: Uint8Array;
}

/** Rounds a key count up to a size class (at most 1/8 more), so groups share buckets. */
function keyClass(count: number): number {
  if (count <= 8) return Math.max(1, count);
  const step = 2 ** (Math.floor(Math.log2(count)) - 3);
  return Math.ceil(count / step) * step;
}

function rowClass(count: number, most: number): number {
  let rows = 1;
  while (rows < count) rows *= 2;
  return Math.min(rows, most);
}

function buildGroups(rule: PatternRule, rowsPerGroup: number): Group[] {
  const { queryLength, keyLength } = rule;
  const classes = Array.from({ length: queryLength }, (_, row) => rule.rowClass(row));
  const order = Array.from({ length: queryLength }, (_, row) => row).sort((a, b) => classes[a] - classes[b] || a - b);
  const collector = new ColumnCollector(keyLength);
  const groups: Group[] = [];
  let start = 0;
  while (start < queryLength) {
    let end = start + 1;
    while (end < queryLength && end - start < rowsPerGroup && classes[order[end]] === classes[order[start]]) end++;
    const rows = Int32Array.from(order.slice(start, end));
    const keys = collector.collect(rule, rows, rows.length);
    const allowed = new Uint8Array(rows.length * keys.length);
    for (let r = 0; r < rows.length; r++) {
      for (let k = 0; k < keys.length; k++) if (rule.allows(rows[r], keys[k])) allowed[r * keys.length + k] = 1;
    }
    groups.push({ rows, keys, allowed });
    start = end;
  }
  return groups;
}

function buildPlan(rule: PatternRule, rowsPerGroup: number): SparsePlan {
  const groups = buildGroups(rule, rowsPerGroup);
  const byShape = new Map<string, { rows: number; keys: number; members: Group[] }>();
  for (const group of groups) {
    const rows = rowClass(group.rows.length, rowsPerGroup);
    const keys = keyClass(group.keys.length);
    const id = `${rows}x${keys}`;
    const entry = byShape.get(id) ?? { rows, keys, members: [] };
    entry.members.push(group);
    byShape.set(id, entry);
  }
  const rowPosition = new Int32Array(rule.queryLength);
  const buckets: SparseBucket[] = [];
  let offset = 0;
  let allowedPairs = 0;
  let computedPairs = 0;
  for (const { rows, keys, members } of byShape.values()) {
    const count = members.length;
    const rowIndex = new Int32Array(count * rows);
    const keyIndex = new Int32Array(count * keys);
    const allowed = new Uint8Array(count * rows * keys);
    members.forEach((group, g) => {
      rowIndex.fill(group.rows[0], g * rows, (g + 1) * rows);
      rowIndex.set(group.rows, g * rows);
      keyIndex.set(group.keys, g * keys);
      group.rows.forEach((row, r) => {
        rowPosition[row] = offset + g * rows + r;
        const source = group.allowed.subarray(r * group.keys.length, (r + 1) * group.keys.length);
        allowed.set(source, (g * rows + r) * keys);
        for (const bit of source) allowedPairs += bit;
      });
    });
    buckets.push({ groups: count, rows, keys, rowIndex, keyIndex, allowed });
    offset += count * rows;
    computedPairs += count * rows * keys;
  }
  return { buckets, rowPosition, allowedPairs, computedPairs, examinedPairs: examinedPairs(rule) };
}

const plans = new WeakMap<AttentionPattern, Map<string, SparsePlan>>();
const PLANS_PER_PATTERN = 4;

/**
 * The plan for `pattern` at lengths `L`, `S` (and the causal rule when `causal`), cached per
 * pattern for the last few lengths so a training loop plans once.
 */
export function planSparseAttention(
  pattern: AttentionPattern,
  queryLength: number,
  keyLength: number,
  options: { causal: boolean; rowsPerGroup: number; context: PatternContext },
): SparsePlan {
  const id = `${queryLength},${keyLength},${options.causal},${options.rowsPerGroup}`;
  const cache = plans.get(pattern) ?? new Map<string, SparsePlan>();
  plans.set(pattern, cache);
  const cached = cache.get(id);
  if (cached) return cached;
  let rule = pattern.rule(queryLength, keyLength, options.context);
  if (options.causal) rule = causalRule(rule);
  const plan = buildPlan(rule, options.rowsPerGroup);
  if (cache.size >= PLANS_PER_PATTERN) cache.delete(cache.keys().next().value!);
  cache.set(id, plan);
  return plan;
}
