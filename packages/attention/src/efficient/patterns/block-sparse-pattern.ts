/**
 * Block-sparse patterns: a layout of allowed (query block, key block) pairs, as in the Sparse
 * Transformer's and DeepSpeed's block-sparse attention.
 *
 * Legend: `L` query length, `S` key length, `Lb = L / blockSize`, `Sb = S / blockSize`.
 */
import { Tensor, ValueError } from '@heed/tensor';
import {
  AttentionPattern,
  checkWhole,
  lengthError,
  type PatternContext,
  type PatternOptions,
  type PatternRule,
} from './attention-pattern.js';

/** A block layout: a `[Lb, Sb]` tensor (bool or numbers, non-zero = allowed) or nested arrays. */
export type BlockLayout = Tensor | readonly (readonly (boolean | number)[])[];

/** @internal A row-major layout of `rows × columns` blocks (1 = allowed). */
export interface LayoutGrid {
  readonly rows: number;
  readonly columns: number;
  readonly cells: Uint8Array;
}

/** @internal Reads a user layout into a grid, or a `ValueError` naming `argument`. */
export function readLayout(op: string, argument: string, layout: BlockLayout): LayoutGrid {
  if (layout instanceof Tensor) {
    if (layout.rank !== 2) throw new ValueError(op, argument, `expected a [Lb, Sb] layout, got shape [${layout.shape.join(', ')}]`);
    const cells = Uint8Array.from(layout.dataSync(), (value) => (value !== 0 ? 1 : 0));
    return { rows: layout.shape[0], columns: layout.shape[1], cells };
  }
  const rows: readonly unknown[] = Array.isArray(layout) ? (layout as readonly unknown[]) : [];
  if (rows.length === 0) throw new ValueError(op, argument, 'expected a non-empty [Lb, Sb] array of booleans');
  const lines = rows.map((row) => (Array.isArray(row) ? (row as readonly unknown[]) : []));
  const columns = lines[0].length;
  if (columns === 0 || !lines.every((line) => line.length === columns)) {
    throw new ValueError(op, argument, 'expected rows of one non-zero length (a [Lb, Sb] array of booleans)');
  }
  const cells = Uint8Array.from(lines.flat(), (value) => (value ? 1 : 0));
  return { rows: lines.length, columns, cells };
}

/**
 * @internal The rule of a block layout for lengths `L = rows · blockSize`, `S = columns · blockSize`;
 * query row `i` may attend column `j` iff its cell is set. `rowClass` groups rows per class.
 */
export function layoutRule(
  grid: LayoutGrid,
  blockSize: number,
  queryLength: number,
  keyLength: number,
  rowClass: (row: number) => number = () => 0,
): PatternRule {
  const spansOfBlock: number[][] = [];
  for (let block = 0; block < grid.rows; block++) {
    const spans: number[] = [];
    for (let column = 0; column < grid.columns; column++) {
      if (!grid.cells[block * grid.columns + column]) continue;
      const last = spans.length - 2;
      if (spans.length > 0 && spans[last] === column * blockSize) spans[last] = (column + 1) * blockSize;
      else spans.push(column * blockSize, (column + 1) * blockSize, 1);
    }
    spansOfBlock.push(spans);
  }
  return {
    queryLength,
    keyLength,
    allows: (row, column) => grid.cells[Math.floor(row / blockSize) * grid.columns + Math.floor(column / blockSize)] === 1,
    spans: (row) => spansOfBlock[Math.floor(row / blockSize)],
    rowClass,
  };
}

/** @internal Checks that `L` and `S` are whole numbers of blocks (and match a layout when given). */
export function checkBlocks(context: PatternContext, blockSize: number, queryLength: number, keyLength: number, grid?: LayoutGrid): void {
  if (queryLength % blockSize !== 0) throw lengthError(context, 'query', `a multiple of blockSize ${blockSize}`);
  if (keyLength % blockSize !== 0) throw lengthError(context, 'key', `a multiple of blockSize ${blockSize}`);
  if (grid && queryLength / blockSize !== grid.rows) {
    throw lengthError(context, 'query', `= ${grid.rows} layout rows × blockSize ${blockSize} = ${grid.rows * blockSize}`);
  }
  if (grid && keyLength / blockSize !== grid.columns) {
    throw lengthError(context, 'key', `= ${grid.columns} layout columns × blockSize ${blockSize} = ${grid.columns * blockSize}`);
  }
}

/** Options of {@link blockSparsePattern}. */
export interface BlockSparseOptions extends Omit<PatternOptions, 'blockSize'> {
  /** Rows and columns per block; `L` and `S` must be multiples of it. */
  blockSize: number;
  /** Which key blocks each query block attends: `[L / blockSize, S / blockSize]`, true = allowed. */
  layout: BlockLayout;
}

class BlockSparsePattern extends AttentionPattern {
  readonly kind = 'block-sparse';
  readonly layout: LayoutGrid;

  constructor(options: BlockSparseOptions) {
    checkWhole('blockSparsePattern', 'blockSize', options.blockSize, 1);
    super(options, options.blockSize);
    this.layout = readLayout('blockSparsePattern', 'layout', options.layout);
  }

  protected resolve(queryLength: number, keyLength: number, context: PatternContext): PatternRule {
    checkBlocks(context, this.blockSize, queryLength, keyLength, this.layout);
    return layoutRule(this.layout, this.blockSize, queryLength, keyLength);
  }
}

/**
 * Block-sparse attention: queries of block `a` attend keys of block `b` iff `layout[a][b]`. The
 * layout fixes the lengths: `L = Lb · blockSize`, `S = Sb · blockSize`.
 *
 * @param options.blockSize - rows and columns per block.
 * @param options.layout - `[Lb, Sb]` booleans (a bool tensor or nested arrays).
 * @example
 * ```ts
 * const pattern = blockSparsePattern({ blockSize: 16, layout: [[true, false], [true, true]] });
 * sparseAttention(query, key, value, { pattern }); // query [B, H, 32, D], key [B, H, 32, D]
 * ```
 */
export function blockSparsePattern(options: BlockSparseOptions): AttentionPattern {
  return new BlockSparsePattern(options);
}
