import { call, f32, f32x4, forLoop, i32, ifThen, seq, whileLoop, type Code, type Expr, type FunctionBuilder, type Local, type ModuleBuilder } from './builder.js';
import { AttentionArgs, KEY_GROUPS, QUERY_BLOCK, keyRangeCode, maskTileCode, type KeyRange } from './attention-forward.js';
import { GEMM_ROWS, addMicroKernel, type GemmFunctions } from './gemm.js';
import { exp2InPlace } from './vector-math.js';

const KEY_BLOCK = KEY_GROUPS * GEMM_ROWS;
const TILE_BYTES = KEY_BLOCK * QUERY_BLOCK * 4;

/**
 * Byte offsets of the backward kernels' arguments, after {@link AttentionArgs} (which give the
 * sizes, rules, mask, Q'ᵀ strips and K panels). Per batch entry (strides in floats):
 * `valueRows`: V in groups of 5 keys, [S5 / 5][Dv][5 × 4]; `gradStrips`: dOᵀ strips [L8 / 8][Dv][8];
 * `gradRows`: dO row-major with rows padded to Dv8; `queryRows`: Q (unscaled) padded to D8;
 * `keyColumns`: Kᵀ in groups of 5 dims, [D5 / 5][S5][5 × 4]; `logSumExp2`: the forward's
 * log-sum-exp in base 2 per query, +Infinity where a query saw no key, [L8]; `delta`:
 * rowsum(dO ∘ O), [L8]; outputs dQ [L][D], dK [S][D], dV [S][Dv].
 */
export const BackwardArgs = {
  valueRows: 88,
  valueRowsBatch: 92,
  gradStrips: 96,
  gradStripsBatch: 100,
  gradRows: 104,
  gradRowsBatch: 108,
  queryRows: 112,
  queryRowsBatch: 116,
  keyColumns: 120,
  keyColumnsBatch: 124,
  logSumExp2: 128,
  delta: 132,
  statsBatch: 136,
  gradQuery: 140,
  gradKey: 144,
  gradValue: 148,
  /** f32: the softmax scale (dQ and dK are scaled by it). */
  scale: 152,
  keyBlocksPerBatch: 156,
  size: 160,
} as const;

/** Per-thread scratch of the backward kernels: two tiles and the accumulators. */
export function attentionBackwardScratch(depth: number, valueDepth: number): number {
  const padded8 = (value: number) => Math.ceil(value / 8) * 8;
  const padded5 = (value: number) => Math.ceil(value / GEMM_ROWS) * GEMM_ROWS;
  const keyPass = KEY_BLOCK * (padded8(depth) + padded8(valueDepth)) * 4;
  const queryPass = padded5(depth) * QUERY_BLOCK * 4;
  return 2 * TILE_BYTES + Math.max(keyPass, queryPass);
}

interface TileContext {
  fn: FunctionBuilder;
  arg: (offset: number) => Expr<'i32'>;
  gemm: GemmFunctions;
  batch: Local<'i32'>;
  /** Tile of Pᵀ (keys × queries, row stride 64 floats) and of dPᵀ, then dSᵀ. */
  weights: Local<'i32'>;
  gradients: Local<'i32'>;
  /** Fused multiply-add in the exponentials (relaxed SIMD). */
  relaxed: boolean;
}

/**
 * For keys [key0, key0 + 5·groups) and queries [q0, q0 + 8·strips): Pᵀ = 2^(K·Q'ᵀ − lse₂)
 * (masked entries 0) and dSᵀ = Pᵀ ∘ (V·dOᵀ − delta), both transposed (keys × queries).
 */
function tilesCode(context: TileContext, range: KeyRange, key0: Local<'i32'>, groups: Expr<'i32'>, q0: Local<'i32'>, strips: Local<'i32'>): Code {
  const { fn, arg, gemm, batch, weights, gradients, relaxed } = context;
  const [group, strip, vector, address, end, stats] = fn.locals('i32', 6);
  const [value, n, scale, base, delta] = fn.locals('v128', 5);
  const entry = (offset: number, batchOffset: number) => i32.add(arg(offset), i32.shl(i32.mul(batch.get(), arg(batchOffset)), 2));
  const depth = arg(AttentionArgs.depth);
  const valueDepth = arg(AttentionArgs.valueDepth);
  const rows = i32.mul(groups, GEMM_ROWS);
  const tileAt = (tile: Local<'i32'>, g: Expr<'i32'>, s: Expr<'i32'>) => i32.add(tile.get(), i32.shl(i32.add(i32.mul(g, GEMM_ROWS * QUERY_BLOCK), i32.shl(s, 3)), 2));
  const statAt = (offset: number, v: Expr<'i32'>) => i32.add(i32.add(stats.get(), arg(offset)), i32.shl(v, 4));
  const keyGroup = i32.add(i32.divS(key0.get(), GEMM_ROWS), group.get());
  const queryStrip = i32.add(i32.shrS(q0.get(), 3), strip.get());
  return seq(
    forLoop(group, 0, groups, 1, forLoop(strip, 0, strips.get(), 1, seq(
      call(gemm.micro, i32.add(entry(AttentionArgs.keyPanels, AttentionArgs.keyBatch), i32.mul(keyGroup, i32.mul(depth, GEMM_ROWS * 16))),
        i32.add(entry(AttentionArgs.queries, AttentionArgs.queryBatch), i32.mul(queryStrip, i32.shl(depth, 5))), 32,
        tileAt(weights, group.get(), strip.get()), QUERY_BLOCK * 4, depth, 1),
      call(gemm.micro, i32.add(entry(BackwardArgs.valueRows, BackwardArgs.valueRowsBatch), i32.mul(keyGroup, i32.mul(valueDepth, GEMM_ROWS * 16))),
        i32.add(entry(BackwardArgs.gradStrips, BackwardArgs.gradStripsBatch), i32.mul(queryStrip, i32.shl(valueDepth, 5))), 32,
        tileAt(gradients, group.get(), strip.get()), QUERY_BLOCK * 4, valueDepth, 1),
    ))),
    ifThen(
      i32.or(i32.or(i32.ltS(key0.get(), range.allFirst.get()), i32.gtS(i32.sub(i32.add(key0.get(), rows), 1), range.allLast.get())), i32.ne(arg(AttentionArgs.maskKind), 0)),
      maskTileCode(fn, arg, batch, weights.get(), key0.get(), rows, q0.get(), i32.shl(strips.get(), 1)),
    ),
    // stats points at this block's first query in the per-entry [L8] statistics (byte offset from 0).
    stats.set(i32.shl(i32.add(i32.mul(batch.get(), arg(BackwardArgs.statsBatch)), q0.get()), 2)),
    // Pᵀ = 2^(Sᵀ − lse₂) and dSᵀ = Pᵀ ∘ (dPᵀ − delta), one column of 4 queries at a time.
    forLoop(vector, 0, i32.shl(strips.get(), 1), 1, seq(
      base.set(f32x4.load(statAt(BackwardArgs.logSumExp2, vector.get()))),
      delta.set(f32x4.load(statAt(BackwardArgs.delta, vector.get()))),
      address.set(i32.shl(vector.get(), 4)),
      end.set(i32.add(address.get(), i32.mul(rows, QUERY_BLOCK * 4))),
      whileLoop(i32.ltS(address.get(), end.get()), seq(
        value.set(f32x4.sub(f32x4.load(i32.add(weights.get(), address.get())), base.get())),
        exp2InPlace(value, n, scale, relaxed),
        f32x4.store(i32.add(weights.get(), address.get()), value.get()),
        f32x4.store(i32.add(gradients.get(), address.get()), f32x4.mul(value.get(), f32x4.sub(f32x4.load(i32.add(gradients.get(), address.get())), delta.get()))),
        address.set(i32.add(address.get(), QUERY_BLOCK * 4)),
      )),
    )),
  );
}

/**
 * Adds `attentionBackwardKeysChunk` (one block of 80 keys: dK and dV, looping over query blocks)
 * and `attentionBackwardQueriesChunk` (one block of 64 queries: dQ, looping over key blocks).
 * Splitting the work this way lets every output be summed by one thread in a fixed order, so
 * results never depend on the thread count (no atomics, no partial sums to reduce).
 */
export function addAttentionBackward(module: ModuleBuilder, gemm: GemmFunctions, relaxed: boolean): void {
  const microRows = addMicroKernel(module, GEMM_ROWS, relaxed, { kind: 'rows', rowStrideBytes: QUERY_BLOCK * 4 });
  const padded8 = (value: Expr<'i32'>) => i32.shl(i32.shrS(i32.add(value, 7), 3), 3);

  module.function('attentionBackwardKeysChunk', ['i32', 'i32', 'i32'], [], (fn) => {
    const args = fn.param(0, 'i32');
    const chunk = fn.param(1, 'i32');
    const thread = fn.param(2, 'i32');
    const arg = (offset: number) => i32.load(args.get(), offset);
    const [batch, key0, key1, groups, q0, q1, strips, weights, gradients, gradValue, gradKey, depth8, value8, group, column, block, key, address, target] = fn.locals('i32', 19);
    const range: KeyRange = { first: fn.local('i32'), last: fn.local('i32'), allFirst: fn.local('i32'), allLast: fn.local('i32') };
    const context: TileContext = { fn, arg, gemm, batch, weights, gradients, relaxed };
    const entry = (offset: number, batchOffset: number) => i32.add(arg(offset), i32.shl(i32.mul(batch.get(), arg(batchOffset)), 2));
    const keyLength = arg(AttentionArgs.keyLength);
    const accumulate = (source: Local<'i32'>, rowsArg: number, rowsBatch: number, width: Local<'i32'>, accumulator: Local<'i32'>) =>
      forLoop(group, 0, groups.get(), 1, forLoop(column, 0, width.get(), 8,
        call(microRows, i32.add(source.get(), i32.mul(group.get(), GEMM_ROWS * QUERY_BLOCK * 4)),
          i32.add(entry(rowsArg, rowsBatch), i32.shl(i32.add(i32.mul(q0.get(), width.get()), column.get()), 2)), i32.shl(width.get(), 2),
          i32.add(accumulator.get(), i32.shl(i32.add(i32.mul(i32.mul(group.get(), GEMM_ROWS), width.get()), column.get()), 2)), i32.shl(width.get(), 2),
          i32.sub(q1.get(), q0.get()), 0),
      ));
    const writeOut = (accumulator: Local<'i32'>, width: Local<'i32'>, outOffset: number, columns: Expr<'i32'>, factor: Expr<'f32'>) =>
      forLoop(key, key0.get(), i32.minS(key1.get(), keyLength), 1, seq(
        target.set(i32.add(arg(outOffset), i32.shl(i32.mul(i32.add(i32.mul(batch.get(), keyLength), key.get()), columns), 2))),
        address.set(i32.add(accumulator.get(), i32.shl(i32.mul(i32.sub(key.get(), key0.get()), width.get()), 2))),
        forLoop(column, 0, columns, 1, f32.store(i32.add(target.get(), i32.shl(column.get(), 2)), f32.mul(f32.load(i32.add(address.get(), i32.shl(column.get(), 2))), factor))),
      ));
    return seq(
      batch.set(i32.divS(chunk.get(), arg(BackwardArgs.keyBlocksPerBatch))),
      key0.set(i32.mul(i32.remS(chunk.get(), arg(BackwardArgs.keyBlocksPerBatch)), KEY_BLOCK)),
      key1.set(i32.minS(i32.add(key0.get(), KEY_BLOCK), i32.mul(i32.divS(i32.add(keyLength, GEMM_ROWS - 1), GEMM_ROWS), GEMM_ROWS))),
      groups.set(i32.divS(i32.sub(key1.get(), key0.get()), GEMM_ROWS)),
      depth8.set(padded8(arg(AttentionArgs.depth))),
      value8.set(padded8(arg(AttentionArgs.valueDepth))),
      weights.set(i32.add(arg(AttentionArgs.scratch), i32.mul(thread.get(), arg(AttentionArgs.scratchStride)))),
      gradients.set(i32.add(weights.get(), TILE_BYTES)),
      gradValue.set(i32.add(gradients.get(), TILE_BYTES)),
      gradKey.set(i32.add(gradValue.get(), i32.shl(i32.mul(i32.mul(groups.get(), GEMM_ROWS), value8.get()), 2))),
      address.set(gradValue.get()),
      target.set(i32.add(gradKey.get(), i32.shl(i32.mul(i32.mul(groups.get(), GEMM_ROWS), depth8.get()), 2))),
      whileLoop(i32.ltS(address.get(), target.get()), seq(f32x4.store(address.get(), f32x4.const(0)), address.set(i32.add(address.get(), 16)))),
      forLoop(block, 0, arg(AttentionArgs.blocksPerBatch), 1, seq(
        q0.set(i32.mul(block.get(), QUERY_BLOCK)),
        q1.set(i32.minS(arg(AttentionArgs.queryLength), i32.add(q0.get(), QUERY_BLOCK))),
        keyRangeCode(range, arg, q0.get(), q1.get()),
        ifThen(i32.and(i32.leS(range.first.get(), i32.sub(key1.get(), 1)), i32.geS(range.last.get(), key0.get())), seq(
          strips.set(i32.shrS(i32.add(i32.sub(q1.get(), q0.get()), 7), 3)),
          tilesCode(context, range, key0, groups.get(), q0, strips),
          accumulate(weights, BackwardArgs.gradRows, BackwardArgs.gradRowsBatch, value8, gradValue),
          accumulate(gradients, BackwardArgs.queryRows, BackwardArgs.queryRowsBatch, depth8, gradKey),
        )),
      )),
      writeOut(gradValue, value8, BackwardArgs.gradValue, arg(AttentionArgs.valueDepth), f32.const(1)),
      writeOut(gradKey, depth8, BackwardArgs.gradKey, arg(AttentionArgs.depth), f32.load(args.get(), BackwardArgs.scale)),
    );
  }, true);

  module.function('attentionBackwardQueriesChunk', ['i32', 'i32', 'i32'], [], (fn) => {
    const args = fn.param(0, 'i32');
    const chunk = fn.param(1, 'i32');
    const thread = fn.param(2, 'i32');
    const arg = (offset: number) => i32.load(args.get(), offset);
    const [batch, q0, q1, strips, weights, gradients, gradQuery, key0, groupEnd, group, groups, dims, strip, query, column, address, target] = fn.locals('i32', 17);
    const range: KeyRange = { first: fn.local('i32'), last: fn.local('i32'), allFirst: fn.local('i32'), allLast: fn.local('i32') };
    const context: TileContext = { fn, arg, gemm, batch, weights, gradients, relaxed };
    const keyPadded = i32.mul(i32.divS(i32.add(arg(AttentionArgs.keyLength), GEMM_ROWS - 1), GEMM_ROWS), GEMM_ROWS);
    const depth = arg(AttentionArgs.depth);
    return seq(
      batch.set(i32.divS(chunk.get(), arg(AttentionArgs.blocksPerBatch))),
      q0.set(i32.mul(i32.remS(chunk.get(), arg(AttentionArgs.blocksPerBatch)), QUERY_BLOCK)),
      q1.set(i32.minS(arg(AttentionArgs.queryLength), i32.add(q0.get(), QUERY_BLOCK))),
      strips.set(i32.shrS(i32.add(i32.sub(q1.get(), q0.get()), 7), 3)),
      dims.set(i32.mul(i32.divS(i32.add(depth, GEMM_ROWS - 1), GEMM_ROWS), GEMM_ROWS)),
      weights.set(i32.add(arg(AttentionArgs.scratch), i32.mul(thread.get(), arg(AttentionArgs.scratchStride)))),
      gradients.set(i32.add(weights.get(), TILE_BYTES)),
      gradQuery.set(i32.add(gradients.get(), TILE_BYTES)),
      address.set(gradQuery.get()),
      target.set(i32.add(gradQuery.get(), i32.mul(dims.get(), QUERY_BLOCK * 4))),
      whileLoop(i32.ltS(address.get(), target.get()), seq(f32x4.store(address.get(), f32x4.const(0)), address.set(i32.add(address.get(), 16)))),
      keyRangeCode(range, arg, q0.get(), q1.get()),
      ifThen(i32.geS(range.last.get(), range.first.get()), seq(
        group.set(i32.divS(range.first.get(), GEMM_ROWS)),
        groupEnd.set(i32.add(i32.divS(range.last.get(), GEMM_ROWS), 1)),
        whileLoop(i32.ltS(group.get(), groupEnd.get()), seq(
          groups.set(i32.minS(KEY_GROUPS, i32.sub(groupEnd.get(), group.get()))),
          key0.set(i32.mul(group.get(), GEMM_ROWS)),
          tilesCode(context, range, key0, groups.get(), q0, strips),
          // dQᵀ += Kᵀ · dSᵀ (Kᵀ panels of 5 dims, depth = the block's keys).
          forLoop(column, 0, i32.divS(dims.get(), GEMM_ROWS), 1, forLoop(strip, 0, strips.get(), 1,
            call(gemm.micro,
              i32.add(i32.add(arg(BackwardArgs.keyColumns), i32.shl(i32.mul(batch.get(), arg(BackwardArgs.keyColumnsBatch)), 2)), i32.mul(i32.add(i32.mul(column.get(), keyPadded), key0.get()), GEMM_ROWS * 16)),
              i32.add(gradients.get(), i32.shl(strip.get(), 5)), QUERY_BLOCK * 4,
              i32.add(gradQuery.get(), i32.shl(i32.add(i32.mul(column.get(), GEMM_ROWS * QUERY_BLOCK), i32.shl(strip.get(), 3)), 2)), QUERY_BLOCK * 4,
              i32.mul(groups.get(), GEMM_ROWS), 0),
          )),
          group.set(i32.add(group.get(), groups.get())),
        )),
      )),
      forLoop(query, q0.get(), q1.get(), 1, seq(
        target.set(i32.add(arg(BackwardArgs.gradQuery), i32.shl(i32.mul(i32.add(i32.mul(batch.get(), arg(AttentionArgs.queryLength)), query.get()), depth), 2))),
        forLoop(column, 0, depth, 1,
          f32.store(i32.add(target.get(), i32.shl(column.get(), 2)),
            f32.mul(f32.load(i32.add(gradQuery.get(), i32.shl(i32.add(i32.mul(column.get(), QUERY_BLOCK), i32.sub(query.get(), q0.get())), 2))), f32.load(args.get(), BackwardArgs.scale))),
        ),
      )),
    );
  }, true);
}
