import { call, f32, f32x4, forLoop, i32, ifThen, seq, whileLoop, type Code, type Expr, type FunctionBuilder, type Local, type ModuleBuilder } from './builder.js';
import { GEMM_ROWS, type GemmFunctions } from './gemm.js';
import { exp2InPlace } from './vector-math.js';

/** Queries per block (8 strips of 8): one chunk of work, and the columns of the score tile. */
export const QUERY_BLOCK = 64;
/** Key groups of 5 per block: 80 keys, the rows of the score tile. */
export const KEY_GROUPS = 16;
const KEY_BLOCK = KEY_GROUPS * GEMM_ROWS;
/** The "no score yet" running maximum: finite, so corrections never compute -Infinity - -Infinity. */
const NO_MAX = -1e30;

/**
 * Byte offsets of the attention kernels' arguments (i32 words unless noted). Layouts, per batch
 * entry n (strides in floats):
 * - `queries`: Q·scale·log2(e) packed in strips of 8 queries, [L8 / 8][D][8] (`gemmPackB` of Qᵀ);
 * - `keyPanels`: K in groups of 5 keys, [S5 / 5][D][5 × 4] broadcast vectors (`gemmPackPanels`);
 * - `valuePanels`: Vᵀ in groups of 5 value dims, [Dv5 / 5][S5][5 × 4] (zero beyond S);
 * - `mask`: 0 none; 1 one byte per key, [S] per entry; 2 one byte per (key, query), [S][L8];
 * - `output` [N][L][Dv]; `stats` [N][L][2] = (running max in log2 units, sum of 2^(s − max)).
 */
export const AttentionArgs = {
  queries: 0,
  queryBatch: 4,
  keyPanels: 8,
  keyBatch: 12,
  valuePanels: 16,
  valueBatch: 20,
  output: 24,
  stats: 28,
  queryLength: 32,
  keyLength: 36,
  depth: 40,
  valueDepth: 44,
  causal: 48,
  hasWindow: 52,
  windowBefore: 56,
  windowAfter: 60,
  maskKind: 64,
  mask: 68,
  maskBatch: 72,
  blocksPerBatch: 76,
  scratch: 80,
  scratchStride: 84,
} as const;

/** Per-thread scratch of the forward kernel: score tile, Oᵀ accumulator, max, sum and correction vectors. */
export function attentionForwardScratch(valueDepth: number): number {
  const valueRows = Math.ceil(valueDepth / GEMM_ROWS) * GEMM_ROWS;
  return (KEY_BLOCK * QUERY_BLOCK + valueRows * QUERY_BLOCK + 3 * QUERY_BLOCK) * 4;
}

/** Scalar i32 locals describing which keys a query block may see (shared by forward and backward). */
export interface KeyRange {
  /** Keys before this are masked for every query of the block (inclusive lower bound over the block). */
  first: Local<'i32'>;
  /** Keys after this are masked for every query. */
  last: Local<'i32'>;
  /** Keys in [allFirst, allLast] are visible to every query of the block (no per-element masking). */
  allFirst: Local<'i32'>;
  allLast: Local<'i32'>;
}

/** Computes {@link KeyRange} for queries [q0, q1) of a problem with bottom-right alignment. */
export function keyRangeCode(range: KeyRange, arg: (offset: number) => Expr<'i32'>, q0: Expr<'i32'>, q1: Expr<'i32'>): Code {
  const offset = i32.sub(arg(AttentionArgs.keyLength), arg(AttentionArgs.queryLength));
  const lastQuery = i32.add(i32.sub(q1, 1), offset);
  const firstQuery = i32.add(q0, offset);
  const causal = arg(AttentionArgs.causal);
  const windowed = arg(AttentionArgs.hasWindow);
  const before = arg(AttentionArgs.windowBefore);
  const after = arg(AttentionArgs.windowAfter);
  const lastKey = i32.sub(arg(AttentionArgs.keyLength), 1);
  return seq(
    range.first.set(0),
    range.allFirst.set(0),
    range.last.set(lastKey),
    range.allLast.set(lastKey),
    ifThen(causal, seq(range.last.set(i32.minS(range.last.get(), lastQuery)), range.allLast.set(i32.minS(range.allLast.get(), firstQuery)))),
    ifThen(windowed, seq(
      range.first.set(i32.maxS(range.first.get(), i32.sub(firstQuery, before))),
      range.allFirst.set(i32.maxS(range.allFirst.get(), i32.sub(lastQuery, before))),
      range.last.set(i32.minS(range.last.get(), i32.add(lastQuery, after))),
      range.allLast.set(i32.minS(range.allLast.get(), i32.add(firstQuery, after))),
    )),
  );
}

/**
 * Sets masked entries of a score tile to -Infinity: `tile` rows are keys `key0…key0 + rows`,
 * columns are queries `q0…` (row stride `QUERY_BLOCK` floats), `vectors` columns of 4.
 */
export function maskTileCode(
  fn: FunctionBuilder,
  arg: (offset: number) => Expr<'i32'>,
  batch: Local<'i32'>,
  tile: Expr<'i32'>,
  key0: Expr<'i32'>,
  rows: Expr<'i32'>,
  q0: Expr<'i32'>,
  vectors: Expr<'i32'>,
): Code {
  const [row, vector, key, address, maskRow, queryPadded] = fn.locals('i32', 6);
  const [keyVector, target, allowed, lanes] = fn.locals('v128', 4);
  const offset = f32.fromI32(i32.sub(arg(AttentionArgs.keyLength), arg(AttentionArgs.queryLength)));
  const queryPosition = f32x4.add(f32x4.add(f32x4.splat(f32.fromI32(i32.add(q0, i32.shl(vector.get(), 2)))), lanes.get()), f32x4.splat(offset));
  const maskKind = arg(AttentionArgs.maskKind);
  return seq(
    lanes.set(f32x4.f32FromI32(f32x4.i32Lanes([0, 1, 2, 3]))),
    queryPadded.set(i32.shl(i32.shrS(i32.add(arg(AttentionArgs.queryLength), 7), 3), 3)),
    forLoop(row, 0, rows, 1, seq(
      key.set(i32.add(key0, row.get())),
      keyVector.set(f32x4.splat(f32.fromI32(key.get()))),
      maskRow.set(i32.add(arg(AttentionArgs.mask), i32.mul(batch.get(), arg(AttentionArgs.maskBatch)))),
      forLoop(vector, 0, vectors, 1, seq(
        address.set(i32.add(tile, i32.shl(i32.add(i32.mul(row.get(), QUERY_BLOCK), i32.shl(vector.get(), 2)), 2))),
        target.set(queryPosition),
        // Key in range, then causal (key ≤ aligned query), then the window around the aligned query.
        allowed.set(f32x4.splatI32(i32.sub(0, i32.ltS(key.get(), arg(AttentionArgs.keyLength))))),
        ifThen(arg(AttentionArgs.causal), allowed.set(f32x4.and(allowed.get(), f32x4.le(keyVector.get(), target.get())))),
        ifThen(arg(AttentionArgs.hasWindow), allowed.set(f32x4.and(allowed.get(), f32x4.and(
          f32x4.ge(keyVector.get(), f32x4.sub(target.get(), f32x4.splat(f32.fromI32(arg(AttentionArgs.windowBefore))))),
          f32x4.le(keyVector.get(), f32x4.add(target.get(), f32x4.splat(f32.fromI32(arg(AttentionArgs.windowAfter))))),
        )))),
        ifThen(i32.eq(maskKind, 1), allowed.set(f32x4.and(allowed.get(), f32x4.splatI32(i32.sub(0, i32.ne(i32.load8(i32.add(maskRow.get(), i32.minS(key.get(), i32.sub(arg(AttentionArgs.keyLength), 1)))), 0)))))),
        ifThen(i32.eq(maskKind, 2), allowed.set(f32x4.and(allowed.get(), f32x4.i32Ne0(f32x4.widenBytes(f32x4.load32Zero(
          i32.add(maskRow.get(), i32.add(i32.mul(i32.minS(key.get(), i32.sub(arg(AttentionArgs.keyLength), 1)), queryPadded.get()), i32.add(q0, i32.shl(vector.get(), 2)))),
        )))))),
        f32x4.store(address.get(), f32x4.bitselect(f32x4.load(address.get()), f32x4.const(-Infinity), allowed.get())),
      )),
    )),
  );
}

/**
 * `attentionForwardChunk(args, chunk, thread)`: one block of 64 queries of one batch entry.
 * Scores are computed transposed (Sᵀ = K·Qᵀ, keys × queries), so the online softmax runs down
 * columns with plain vector max/add, and Oᵀ += Vᵀ·Pᵀ reuses the gemm micro-kernel. With
 * `relaxed`, the exponentials' polynomials and the running sums use fused multiply-add (the
 * gemm micro-kernels in `gemm` are built with the same choice).
 */
export function addAttentionForward(module: ModuleBuilder, gemm: GemmFunctions, relaxed = false): void {
  module.function('attentionForwardChunk', ['i32', 'i32', 'i32'], [], (fn) => {
    const args = fn.param(0, 'i32');
    const chunk = fn.param(1, 'i32');
    const thread = fn.param(2, 'i32');
    const arg = (offset: number) => i32.load(args.get(), offset);
    const [batch, q0, q1, strips, vectors, scratch, scores, accumulator, maxima, sums, corrections] = fn.locals('i32', 11);
    const [group, groupEnd, blockEnd, key0, rows, index, strip, valueRows, depth, valueDepth, address, end, query] = fn.locals('i32', 13);
    const range: KeyRange = { first: fn.local('i32'), last: fn.local('i32'), allFirst: fn.local('i32'), allLast: fn.local('i32') };
    const [maximum, previous, value, n, scale, sum] = fn.locals('v128', 6);
    const [inverse] = fn.locals('f32', 1);
    const queryStrip = (s: Expr<'i32'>) =>
      i32.add(i32.add(arg(AttentionArgs.queries), i32.shl(i32.mul(batch.get(), arg(AttentionArgs.queryBatch)), 2)), i32.mul(i32.add(i32.shrS(q0.get(), 3), s), i32.shl(depth.get(), 5)));
    const keyPanel = (g: Expr<'i32'>) =>
      i32.add(i32.add(arg(AttentionArgs.keyPanels), i32.shl(i32.mul(batch.get(), arg(AttentionArgs.keyBatch)), 2)), i32.mul(g, i32.mul(depth.get(), GEMM_ROWS * 16)));
    const keyPadded = i32.mul(i32.divS(i32.add(arg(AttentionArgs.keyLength), GEMM_ROWS - 1), GEMM_ROWS), GEMM_ROWS);
    const valuePanel = (g: Expr<'i32'>) =>
      i32.add(i32.add(arg(AttentionArgs.valuePanels), i32.shl(i32.mul(batch.get(), arg(AttentionArgs.valueBatch)), 2)), i32.mul(g, i32.mul(keyPadded, GEMM_ROWS * 16)));
    const vectorAt = (base: Local<'i32'>, v: Expr<'i32'>) => i32.add(base.get(), i32.shl(v, 4));
    return seq(
      batch.set(i32.divS(chunk.get(), arg(AttentionArgs.blocksPerBatch))),
      q0.set(i32.mul(i32.remS(chunk.get(), arg(AttentionArgs.blocksPerBatch)), QUERY_BLOCK)),
      q1.set(i32.minS(arg(AttentionArgs.queryLength), i32.add(q0.get(), QUERY_BLOCK))),
      strips.set(i32.shrS(i32.add(i32.sub(q1.get(), q0.get()), 7), 3)),
      vectors.set(i32.shl(strips.get(), 1)),
      depth.set(arg(AttentionArgs.depth)),
      valueDepth.set(arg(AttentionArgs.valueDepth)),
      valueRows.set(i32.mul(i32.divS(i32.add(valueDepth.get(), GEMM_ROWS - 1), GEMM_ROWS), GEMM_ROWS)),
      scratch.set(i32.add(arg(AttentionArgs.scratch), i32.mul(thread.get(), arg(AttentionArgs.scratchStride)))),
      scores.set(scratch.get()),
      accumulator.set(i32.add(scores.get(), KEY_BLOCK * QUERY_BLOCK * 4)),
      maxima.set(i32.add(accumulator.get(), i32.mul(valueRows.get(), QUERY_BLOCK * 4))),
      sums.set(i32.add(maxima.get(), QUERY_BLOCK * 4)),
      corrections.set(i32.add(sums.get(), QUERY_BLOCK * 4)),
      // Oᵀ = 0, max = NO_MAX, sum = 0.
      address.set(accumulator.get()),
      end.set(maxima.get()),
      whileLoop(i32.ltS(address.get(), end.get()), seq(f32x4.store(address.get(), f32x4.const(0)), address.set(i32.add(address.get(), 16)))),
      forLoop(index, 0, QUERY_BLOCK / 4, 1, seq(f32x4.store(vectorAt(maxima, index.get()), f32x4.const(NO_MAX)), f32x4.store(vectorAt(sums, index.get()), f32x4.const(0)))),
      keyRangeCode(range, arg, q0.get(), q1.get()),
      ifThen(i32.geS(range.last.get(), range.first.get()), seq(
        group.set(i32.divS(range.first.get(), GEMM_ROWS)),
        groupEnd.set(i32.add(i32.divS(range.last.get(), GEMM_ROWS), 1)),
        whileLoop(i32.ltS(group.get(), groupEnd.get()), seq(
          blockEnd.set(i32.minS(groupEnd.get(), i32.add(group.get(), KEY_GROUPS))),
          key0.set(i32.mul(group.get(), GEMM_ROWS)),
          rows.set(i32.mul(i32.sub(blockEnd.get(), group.get()), GEMM_ROWS)),
          // Sᵀ tile = K panel · Q strip for every (key group, query strip).
          forLoop(index, 0, i32.sub(blockEnd.get(), group.get()), 1,
            forLoop(strip, 0, strips.get(), 1,
              call(gemm.micro, keyPanel(i32.add(group.get(), index.get())), queryStrip(strip.get()), 32,
                i32.add(scores.get(), i32.shl(i32.add(i32.mul(index.get(), GEMM_ROWS * QUERY_BLOCK), i32.shl(strip.get(), 3)), 2)), QUERY_BLOCK * 4, depth.get(), 1),
            ),
          ),
          ifThen(
            i32.or(i32.or(i32.ltS(key0.get(), range.allFirst.get()), i32.gtS(i32.sub(i32.add(key0.get(), rows.get()), 1), range.allLast.get())), i32.ne(arg(AttentionArgs.maskKind), 0)),
            maskTileCode(fn, arg, batch, scores.get(), key0.get(), rows.get(), q0.get(), vectors.get()),
          ),
          // Online softmax down each column of 4 queries.
          forLoop(index, 0, vectors.get(), 1, seq(
            previous.set(f32x4.load(vectorAt(maxima, index.get()))),
            maximum.set(previous.get()),
            address.set(vectorAt(scores, index.get())),
            end.set(i32.add(address.get(), i32.mul(rows.get(), QUERY_BLOCK * 4))),
            whileLoop(i32.ltS(address.get(), end.get()), seq(
              maximum.set(f32x4.pmax(maximum.get(), f32x4.load(address.get()))),
              address.set(i32.add(address.get(), QUERY_BLOCK * 4)),
            )),
            value.set(f32x4.sub(previous.get(), maximum.get())),
            exp2InPlace(value, n, scale, relaxed),
            f32x4.store(vectorAt(corrections, index.get()), value.get()),
            sum.set(f32x4.mul(f32x4.load(vectorAt(sums, index.get())), value.get())),
            address.set(vectorAt(scores, index.get())),
            whileLoop(i32.ltS(address.get(), end.get()), seq(
              value.set(f32x4.sub(f32x4.load(address.get()), maximum.get())),
              exp2InPlace(value, n, scale, relaxed),
              f32x4.store(address.get(), value.get()),
              sum.set(f32x4.add(sum.get(), value.get())),
              address.set(i32.add(address.get(), QUERY_BLOCK * 4)),
            )),
            f32x4.store(vectorAt(sums, index.get()), sum.get()),
            f32x4.store(vectorAt(maxima, index.get()), maximum.get()),
          )),
          // Oᵀ = Oᵀ · correction + Vᵀ · Pᵀ.
          // (Columns whose maxima did not move keep a correction of exactly 1 and are skipped.)
          forLoop(strip, 0, vectors.get(), 1, seq(
            value.set(f32x4.load(vectorAt(corrections, strip.get()))),
            ifThen(i32.eqz(f32x4.allTrue(f32x4.eq(value.get(), f32x4.const(1)))), seq(
              address.set(vectorAt(accumulator, strip.get())),
              end.set(i32.add(address.get(), i32.mul(valueRows.get(), QUERY_BLOCK * 4))),
              whileLoop(i32.ltS(address.get(), end.get()), seq(
                f32x4.store(address.get(), f32x4.mul(f32x4.load(address.get()), value.get())),
                address.set(i32.add(address.get(), QUERY_BLOCK * 4)),
              )),
            )),
          )),
          forLoop(index, 0, i32.divS(valueRows.get(), GEMM_ROWS), 1,
            forLoop(strip, 0, strips.get(), 1,
              call(gemm.micro, i32.add(valuePanel(index.get()), i32.mul(key0.get(), GEMM_ROWS * 16)), i32.add(scores.get(), i32.shl(strip.get(), 5)), QUERY_BLOCK * 4,
                i32.add(accumulator.get(), i32.shl(i32.add(i32.mul(index.get(), GEMM_ROWS * QUERY_BLOCK), i32.shl(strip.get(), 3)), 2)), QUERY_BLOCK * 4, rows.get(), 0),
            ),
          ),
          group.set(blockEnd.get()),
        )),
      )),
      // O = Oᵀ / sum (0 for a query with no visible key), and the statistics.
      forLoop(query, q0.get(), q1.get(), 1, seq(
        index.set(i32.sub(query.get(), q0.get())),
        ifThenElseF32(inverse, f32.gt(f32.load(i32.add(sums.get(), i32.shl(index.get(), 2))), 0), f32.div(1, f32.load(i32.add(sums.get(), i32.shl(index.get(), 2)))), 0),
        address.set(i32.add(arg(AttentionArgs.output), i32.shl(i32.mul(i32.add(i32.mul(batch.get(), arg(AttentionArgs.queryLength)), query.get()), valueDepth.get()), 2))),
        forLoop(strip, 0, valueDepth.get(), 1,
          f32.store(i32.add(address.get(), i32.shl(strip.get(), 2)), f32.mul(f32.load(i32.add(accumulator.get(), i32.shl(i32.add(i32.mul(strip.get(), QUERY_BLOCK), index.get()), 2))), inverse.get())),
        ),
        address.set(i32.add(arg(AttentionArgs.stats), i32.shl(i32.add(i32.mul(batch.get(), arg(AttentionArgs.queryLength)), query.get()), 3))),
        f32.store(address.get(), f32.load(i32.add(maxima.get(), i32.shl(index.get(), 2)))),
        f32.store(address.get(), f32.load(i32.add(sums.get(), i32.shl(index.get(), 2))), 4),
      )),
    );
  }, true);
}

function ifThenElseF32(target: Local<'f32'>, condition: Expr<'i32'>, then: Expr<'f32'>, otherwise: number): Code {
  return target.set(f32.select(then, otherwise, condition));
}
