/**
 * Global + local patterns: Longformer (a sliding window plus global tokens) and BigBird (global,
 * sliding and random key blocks).
 *
 * Legend: `L` query length, `S` key length; query `i` sits at key position `p = i + S - L`.
 */
import { Generator, ValueError } from '@heed/tensor';
import { AttentionPattern, checkWhole, type PatternContext, type PatternOptions, type PatternRule } from './attention-pattern.js';
import { checkBlocks, layoutRule, type LayoutGrid } from './block-sparse-pattern.js';
import { rowsForWindow } from './sliding-window-pattern.js';
import { resolveWindow, type AttentionWindow } from './window.js';

/** Options of {@link longformerPattern}. */
export interface LongformerOptions extends PatternOptions {
  /** The local window: reach `W >= 1` or `[before, after]` (in dilated steps when `dilation > 1`). */
  window: AttentionWindow;
  /** Key positions of the global tokens (such as `[CLS]` at 0): they attend, and are attended by, every position. */
  globalTokens: readonly number[];
  /** Gap between the keys of the local window (default 1). */
  dilation?: number;
}

class LongformerPattern extends AttentionPattern {
  readonly kind = 'longformer';
  readonly window: readonly [before: number, after: number];
  readonly globalTokens: readonly number[];
  readonly dilation: number;

  constructor(options: LongformerOptions) {
    const window = resolveWindow('longformerPattern', 'window', options.window);
    const dilation = options.dilation ?? 1;
    checkWhole('longformerPattern', 'dilation', dilation, 1);
    const globalTokens: readonly number[] = Array.isArray(options.globalTokens) ? options.globalTokens : [];
    if (globalTokens !== options.globalTokens) throw new ValueError('longformerPattern', 'globalTokens', 'expected an array of key positions');
    globalTokens.forEach((position, index) => checkWhole('longformerPattern', `globalTokens[${index}]`, position, 0));
    super(options, rowsForWindow(window[0] + window[1] + 1));
    this.window = window;
    this.dilation = dilation;
    this.globalTokens = [...new Set(globalTokens)].sort((a, b) => a - b);
  }

  protected resolve(queryLength: number, keyLength: number, context: PatternContext): PatternRule {
    const outside = this.globalTokens.find((position) => position >= keyLength);
    if (outside !== undefined) {
      throw new ValueError(context.op, 'globalTokens', `global token position ${outside} is outside the ${keyLength} keys (${context.key.name} shape [${context.key.shape.join(', ')}])`);
    }
    const isGlobal = new Uint8Array(keyLength);
    for (const position of this.globalTokens) isGlobal[position] = 1;
    const globalSpans = this.globalTokens.flatMap((position) => [position, position + 1, 1]);
    const everything = [0, keyLength, 1];
    const [before, after] = this.window;
    const dilation = this.dilation;
    const shift = keyLength - queryLength;
    const globalRow = (row: number): boolean => row + shift >= 0 && isGlobal[row + shift] === 1;
    return {
      queryLength,
      keyLength,
      allows: (row, column) => {
        if (isGlobal[column] === 1 || globalRow(row)) return true;
        const distance = row + shift - column;
        if (distance % dilation !== 0) return false;
        const steps = distance / dilation;
        return steps <= before && -steps <= after;
      },
      spans: (row) => {
        if (globalRow(row)) return everything;
        const position = row + shift;
        const lowest = position - before * dilation;
        const start = lowest >= 0 ? lowest : ((position % dilation) + dilation) % dilation;
        const end = Math.min(keyLength, position + after * dilation + 1);
        return start < end ? [start, end, dilation, ...globalSpans] : globalSpans;
      },
      rowClass: (row) => (globalRow(row) ? -1 : (((row + shift) % dilation) + dilation) % dilation),
    };
  }
}

/**
 * Longformer's attention (Beltagy et al. 2020): a (optionally dilated) sliding window plus
 * global tokens that attend every key and that every query attends. Global positions are key
 * positions; the query at aligned position `p` is global when `p` is. Global queries are grouped
 * apart, so memory is `O(L · (window + globals) + globals · S)`.
 *
 * @param options.window - the local window (reach or `[before, after]`).
 * @param options.globalTokens - key positions of the global tokens.
 * @param options.dilation - gap between local keys (default 1).
 * @example
 * ```ts
 * const pattern = longformerPattern({ window: 64, globalTokens: [0] }); // [CLS] is global
 * sparseAttention(query, key, value, { pattern, mask: paddingMask(lengths, S) });
 * ```
 */
export function longformerPattern(options: LongformerOptions): AttentionPattern {
  return new LongformerPattern(options);
}

/** Options of {@link bigBirdPattern}. */
export interface BigBirdOptions extends Omit<PatternOptions, 'blockSize'> {
  /** Queries and keys per block; `L` and `S` must be multiples of it. */
  blockSize: number;
  /** Sliding key blocks per query block, odd: the aligned block and `(n - 1) / 2` on each side (default 3). */
  windowBlocks?: number;
  /** The first `globalBlocks` key blocks are global: every query attends them and their queries attend every key (default 1). */
  globalBlocks?: number;
  /** Random key blocks per (non-global) query block, among those not already attended (default 2). */
  randomBlocks?: number;
  /** Seed of the random blocks (default 0); the same seed and lengths give the same pattern. */
  seed?: number;
}

class BigBirdPattern extends AttentionPattern {
  readonly kind = 'bigbird';
  readonly windowBlocks: number;
  readonly globalBlocks: number;
  readonly randomBlocks: number;
  readonly seed: number;

  constructor(options: BigBirdOptions) {
    checkWhole('bigBirdPattern', 'blockSize', options.blockSize, 1);
    const windowBlocks = options.windowBlocks ?? 3;
    checkWhole('bigBirdPattern', 'windowBlocks', windowBlocks, 1);
    if (windowBlocks % 2 === 0) throw new ValueError('bigBirdPattern', 'windowBlocks', `expected an odd number of blocks (the aligned block and as many on each side), got ${windowBlocks}`);
    const globalBlocks = options.globalBlocks ?? 1;
    const randomBlocks = options.randomBlocks ?? 2;
    checkWhole('bigBirdPattern', 'globalBlocks', globalBlocks, 0);
    checkWhole('bigBirdPattern', 'randomBlocks', randomBlocks, 0);
    const seed = options.seed ?? 0;
    if (!Number.isInteger(seed)) throw new ValueError('bigBirdPattern', 'seed', `expected an integer, got ${seed}`);
    super(options, options.blockSize);
    this.windowBlocks = windowBlocks;
    this.globalBlocks = globalBlocks;
    this.randomBlocks = randomBlocks;
    this.seed = seed;
  }

  /** The block layout for `Lb × Sb` blocks: global, sliding, then seeded random blocks. */
  #layout(rows: number, columns: number): LayoutGrid {
    const cells = new Uint8Array(rows * columns);
    const shift = columns - rows;
    const reach = (this.windowBlocks - 1) / 2;
    const generator = new Generator(this.seed);
    const candidates = new Int32Array(columns);
    for (let block = 0; block < rows; block++) {
      const base = block * columns;
      const aligned = block + shift;
      const last = this.causal ? Math.min(columns - 1, aligned) : columns - 1;
      if (aligned >= 0 && aligned < this.globalBlocks) {
        cells.fill(1, base, base + columns);
        continue;
      }
      for (let column = 0; column < Math.min(this.globalBlocks, columns); column++) cells[base + column] = 1;
      for (let column = Math.max(0, aligned - reach); column <= Math.min(columns - 1, aligned + reach); column++) cells[base + column] = 1;
      let count = 0;
      for (let column = 0; column <= last; column++) if (!cells[base + column]) candidates[count++] = column;
      for (let pick = 0; pick < Math.min(this.randomBlocks, count); pick++) {
        const chosen = pick + Math.floor(generator.nextFloat() * (count - pick));
        const column = candidates[chosen];
        candidates[chosen] = candidates[pick];
        candidates[pick] = column;
        cells[base + column] = 1;
      }
    }
    return { rows, columns, cells };
  }

  protected resolve(queryLength: number, keyLength: number, context: PatternContext): PatternRule {
    checkBlocks(context, this.blockSize, queryLength, keyLength);
    const grid = this.#layout(queryLength / this.blockSize, keyLength / this.blockSize);
    const blockShift = (keyLength - queryLength) / this.blockSize;
    const globalRow = (row: number): number => {
      const aligned = Math.floor(row / this.blockSize) + blockShift;
      return aligned >= 0 && aligned < this.globalBlocks ? 1 : 0;
    };
    return layoutRule(grid, this.blockSize, queryLength, keyLength, globalRow);
  }
}

/**
 * BigBird's attention (Zaheer et al. 2020, ITC form): key blocks of `blockSize`; each query
 * block attends the global blocks, a window of neighbouring blocks and `randomBlocks` seeded
 * random blocks; queries of global blocks attend everything. With `causal`, random blocks are
 * drawn only from blocks at or before the aligned one.
 *
 * @param options.blockSize - queries and keys per block.
 * @example
 * ```ts
 * const pattern = bigBirdPattern({ blockSize: 64, randomBlocks: 3, seed: 1 });
 * sparseAttention(query, key, value, { pattern }); // L, S multiples of 64
 * pattern.denseMask(512).toArray(); // draw it
 * ```
 */
export function bigBirdPattern(options: BigBirdOptions): AttentionPattern {
  return new BigBirdPattern(options);
}
