/**
 * ListOps (Nangia & Bowman 2018, "ListOps: A Diagnostic Dataset for Latent Tree Learning"; the
 * Long Range Arena form of Tay et al. 2020): a prefix expression of nested list operators over
 * digits, such as `[MAX 2 9 [MIN 4 7 ] 0 ]`, whose value (a digit, so 10 classes) is the answer.
 * Solving it means parsing a tree whose parts lie far apart: LRA reports about 36–37 % for every
 * Transformer variant at lengths up to 2000 (its Table 1).
 *
 * Generated here with a seed, by LRA's recipe (`lra/data/listops.py`): each node is a digit
 * with probability 0.75 (always below the depth limit), else an operator over 2…`maxArgs`
 * arguments; an expression is kept when its length lies in [T/2, T] tokens, and it is padded on
 * the left to T, so it ends at the last position, where a causal model answers. Tokens are
 * one-hot: 0 pad, 1…10 the digits 0…9, 11 `[MAX`, 12 `[MIN`, 13 `[MED`, 14 `[SM`, 15 `]`.
 * MED is the median (the lower of two middle values' mean, rounded down, as `int(np.median)`),
 * SM the sum modulo 10.
 */
import type { Generator } from '@heed/tensor';
import { memorylessClassifier } from './baselines.js';
import { checkLength, emptyBatch, setFeature, type Task, type TaskBatch } from './task.js';

/** The four ListOps operators. */
export const LISTOPS_OPERATORS = ['MAX', 'MIN', 'MED', 'SM'] as const;
/** One of {@link LISTOPS_OPERATORS}. */
export type ListOpsOperator = (typeof LISTOPS_OPERATORS)[number];

/** A ListOps expression: a digit, or an operator over arguments. */
export type ListOpsNode = number | { operator: ListOpsOperator; arguments: ListOpsNode[] };

/** Token ids (one-hot feature index): pad, digits, operators, close bracket. */
export const LISTOPS_TOKENS = { pad: 0, digit: 1, operator: 11, close: 15, count: 16 } as const;

/** The value of an expression (a digit 0…9). */
export function evaluateListOps(node: ListOpsNode): number {
  if (typeof node === 'number') return node;
  const values = node.arguments.map(evaluateListOps);
  switch (node.operator) {
    case 'MAX':
      return Math.max(...values);
    case 'MIN':
      return Math.min(...values);
    case 'SM':
      return values.reduce((total, value) => total + value, 0) % 10;
    case 'MED': {
      const sorted = [...values].sort((a, b) => a - b);
      const middle = sorted.length >> 1;
      return sorted.length % 2 === 1 ? sorted[middle] : Math.floor((sorted[middle - 1] + sorted[middle]) / 2);
    }
  }
}

/** The expression's tokens, as feature indices (see {@link LISTOPS_TOKENS}). */
export function listOpsTokens(node: ListOpsNode, out: number[] = []): number[] {
  if (typeof node === 'number') {
    out.push(LISTOPS_TOKENS.digit + node);
    return out;
  }
  out.push(LISTOPS_TOKENS.operator + LISTOPS_OPERATORS.indexOf(node.operator));
  for (const argument of node.arguments) listOpsTokens(argument, out);
  out.push(LISTOPS_TOKENS.close);
  return out;
}

/** The expression written out, e.g. `[MAX 2 9 [MIN 4 7 ] 0 ]`. */
export function formatListOps(node: ListOpsNode): string {
  if (typeof node === 'number') return String(node);
  return `[${node.operator} ${node.arguments.map(formatListOps).join(' ')} ]`;
}

/** Options of {@link listOpsTask} (LRA's values by default). */
export interface ListOpsOptions {
  /** Deepest nesting (default 10). */
  maxDepth?: number;
  /** Most arguments of one operator (default 10). */
  maxArgs?: number;
}

class TooLong extends Error {}

/** One random tree by LRA's recipe; throws {@link TooLong} as soon as it passes `limit` tokens. */
function randomTree(depth: number, options: Required<ListOpsOptions>, generator: Generator, count: { tokens: number; limit: number }): ListOpsNode {
  const leaf = depth >= options.maxDepth || generator.nextFloat() > 0.25;
  if (leaf) {
    if (++count.tokens > count.limit) throw new TooLong();
    return generator.nextInt(0, 10);
  }
  count.tokens += 2;
  if (count.tokens > count.limit) throw new TooLong();
  const operator = LISTOPS_OPERATORS[generator.nextInt(0, LISTOPS_OPERATORS.length)];
  const arity = generator.nextInt(2, options.maxArgs + 1);
  const args: ListOpsNode[] = [];
  for (let index = 0; index < arity; index++) args.push(randomTree(depth + 1, options, generator, count));
  return { operator, arguments: args };
}

/**
 * A random ListOps expression of `⌈length / 2⌉` to `length` tokens whose root is an operator
 * (rejection sampling over LRA's generator).
 */
export function randomListOps(length: number, generator: Generator, options: ListOpsOptions = {}): ListOpsNode {
  const settings = { maxDepth: options.maxDepth ?? 10, maxArgs: options.maxArgs ?? 10 };
  const minimum = Math.ceil(length / 2);
  for (let attempt = 0; attempt < 100_000; attempt++) {
    const count = { tokens: 2, limit: length };
    try {
      const operator = LISTOPS_OPERATORS[generator.nextInt(0, LISTOPS_OPERATORS.length)];
      const arity = generator.nextInt(2, settings.maxArgs + 1);
      const args: ListOpsNode[] = [];
      for (let index = 0; index < arity; index++) args.push(randomTree(1, settings, generator, count));
      if (count.tokens >= minimum) return { operator, arguments: args };
    } catch (error) {
      if (!(error instanceof TooLong)) throw error;
    }
  }
  throw new RangeError(`listops: no expression of ${minimum}–${length} tokens found`);
}

/**
 * Creates the ListOps task.
 *
 * @example
 * ```ts
 * const batch = listOpsTask().generate(32, 256, new Generator(1)); // inputs [32, 256, 16], targets [32, 1] in 0…9
 * ```
 */
export function listOpsTask(options: ListOpsOptions = {}): Task {
  const task: Task = {
    name: 'listops',
    title: 'ListOps (LRA)',
    source: 'Nangia & Bowman 2018 (NAACL SRW); Tay et al. 2020 "Long Range Arena" (arXiv:2011.04006)',
    kind: 'classification',
    features: LISTOPS_TOKENS.count,
    classes: 10,
    metric: 'accuracy',
    minLength: 8,
    generate(batchSize: number, length: number, generator: Generator): TaskBatch {
      checkLength(task, length);
      const batch = emptyBatch('classification', batchSize, length, task.features, 1);
      for (let b = 0; b < batchSize; b++) {
        const expression = randomListOps(length, generator, options);
        const tokens = listOpsTokens(expression);
        const start = length - tokens.length;
        for (let t = 0; t < start; t++) setFeature(batch, b, t, LISTOPS_TOKENS.pad, 1);
        tokens.forEach((token, index) => setFeature(batch, b, start + index, token, 1));
        batch.targets[b] = evaluateListOps(expression);
      }
      return batch;
    },
    baseline: (evaluation, training) => memorylessClassifier(evaluation, training, 10),
  };
  return task;
}
