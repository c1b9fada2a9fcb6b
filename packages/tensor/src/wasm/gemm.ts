import { call, f32x4, forLoop, i32, ifThen, seq, whileLoop, type Code, type Expr, type Local, type ModuleBuilder } from './builder.js';
import { madd } from './vector-math.js';

/**
 * Rows of the register tile. The micro-kernel keeps a 5 × 8 block of C in 10 vector registers,
 * plus 2 for the B row, 1 for the broadcast A value and 1 for the product: 14 of the 15 xmm
 * registers V8 hands out on x64 (6 rows spill without fused multiply-add).
 */
export const GEMM_ROWS = 5;
/** Columns of a packed B strip (two f32x4 vectors). */
export const GEMM_COLUMNS = 8;
/** Depth of one cache block: an A panel (5 × 256, broadcast to 20 KiB) and a B strip (8 KiB) share L1. */
export const GEMM_DEPTH_BLOCK = 256;
/** Strips per cache block of B (256 × 8 × 32 floats = 256 KiB, in L2). */
const STRIP_BLOCK = 32;
/** Bytes of per-thread scratch the gemm needs (one broadcast A panel). */
export const GEMM_SCRATCH_BYTES = GEMM_DEPTH_BLOCK * GEMM_ROWS * 16;

/**
 * Byte offsets of the gemm job's arguments (i32 words; strides in elements). C is row-major
 * with `ldc` columns (a multiple of 8); columns between `n` and `ldc` receive garbage.
 * B must be packed by `gemmPackB` into strips: element (p, j) of a batch is at
 * `(j >> 3) * k * 8 + p * 8 + (j & 7)`.
 */
export const GemmArgs = {
  a: 0,
  aRowStride: 4,
  aColumnStride: 8,
  aBatch: 12,
  b: 16,
  bBatch: 20,
  c: 24,
  ldc: 28,
  cBatch: 32,
  m: 36,
  strips: 40,
  k: 44,
  rowsPerChunk: 48,
  chunksPerBatch: 52,
  /** 1: C += A·B; 0: C = A·B. */
  accumulate: 56,
  /** Per-thread scratch: `scratch + thread * GEMM_SCRATCH_BYTES`. */
  scratch: 60,
} as const;

/**
 * Byte offsets of the B packing job's arguments. Chunk `c` packs strips
 * `[(c % chunksPerBatch) * stripsPerChunk, …)` of batch `c / chunksPerBatch`.
 */
export const PackArgs = {
  source: 0,
  rowStride: 4,
  columnStride: 8,
  sourceBatch: 12,
  target: 16,
  k: 20,
  n: 24,
  stripsPerChunk: 28,
  chunksPerBatch: 32,
} as const;

/**
 * Byte offsets of the panel packing job's arguments: `rows` rows × `depth` columns of a source
 * matrix (element strides) become groups of 5 rows, each [depthPadded][5] broadcast vectors
 * (the micro-kernel's A operand), zero beyond `depth` and beyond the last row. Chunk `c` packs
 * groups `[(c % chunksPerBatch) * groupsPerChunk, …)` of batch `c / chunksPerBatch`.
 */
export const PanelArgs = {
  source: 0,
  rowStride: 4,
  columnStride: 8,
  sourceBatch: 12,
  rows: 16,
  depth: 20,
  depthPadded: 24,
  target: 28,
  groupsPerChunk: 32,
  chunksPerBatch: 36,
} as const;

/** Internal gemm functions other kernels call (function indices). */
export interface GemmFunctions {
  /** `(panel, b, bStride, c, ldcBytes, kc, first)` on a 5 × 8 tile. */
  micro: number;
  /** The same on a 1 × 8 tile. */
  microOne: number;
  /** One row × 32 columns (see {@link addWideMicroKernel}). */
  wide: number;
  /** `(a, rowStrideBytes, columnStrideBytes, rows, kc, out)`: broadcast panel of ≤ 5 rows. */
  packA: number;
}

/** Adds `gemmChunk(args, chunk, thread)` and `gemmPackB(args, chunk, thread)` (exported). */
export function addGemm(module: ModuleBuilder, relaxed: boolean): GemmFunctions {
  const micro = addMicroKernel(module, GEMM_ROWS, relaxed);
  const microOne = addMicroKernel(module, 1, relaxed);
  const packA = addPackA(module);
  addPackB(module);
  addPackPanels(module, packA);
  module.function('gemmChunk', ['i32', 'i32', 'i32'], [], (fn) => {
    const args = fn.param(0, 'i32');
    const chunk = fn.param(1, 'i32');
    const thread = fn.param(2, 'i32');
    const [batch, rowStart, rowEnd, k, k0, kc, s0, s1, s, row, rows, aBase, bBase, cBase, ldc, rowStride, columnStride, strips, panel, first, bStrip] =
      fn.locals('i32', 21);
    const arg = (offset: number) => i32.load(args.get(), offset);
    const bytes = (elements: Expr<'i32'>) => i32.shl(elements, 2);
    const cTile = (r: Expr<'i32'>) => i32.add(cBase.get(), bytes(i32.add(i32.mul(r, ldc.get()), i32.shl(s.get(), 3))));
    const tails: Code[] = [];
    for (let r = 0; r < GEMM_ROWS - 1; r++) {
      // Rows of a partial tile, one at a time, reading lane r of the broadcast panel.
      tails.push(ifThen(i32.gtS(rows.get(), r), call(microOne, i32.add(panel.get(), r * 16), bStrip.get(), 32, cTile(i32.add(row.get(), r)), 0, kc.get(), first.get())));
    }
    return seq(
      batch.set(i32.divS(chunk.get(), arg(GemmArgs.chunksPerBatch))),
      rowStart.set(i32.mul(i32.remS(chunk.get(), arg(GemmArgs.chunksPerBatch)), arg(GemmArgs.rowsPerChunk))),
      rowEnd.set(i32.minS(arg(GemmArgs.m), i32.add(rowStart.get(), arg(GemmArgs.rowsPerChunk)))),
      k.set(arg(GemmArgs.k)),
      ldc.set(arg(GemmArgs.ldc)),
      rowStride.set(arg(GemmArgs.aRowStride)),
      columnStride.set(arg(GemmArgs.aColumnStride)),
      strips.set(arg(GemmArgs.strips)),
      aBase.set(i32.add(arg(GemmArgs.a), bytes(i32.mul(batch.get(), arg(GemmArgs.aBatch))))),
      bBase.set(i32.add(arg(GemmArgs.b), bytes(i32.mul(batch.get(), arg(GemmArgs.bBatch))))),
      cBase.set(i32.add(arg(GemmArgs.c), bytes(i32.mul(batch.get(), arg(GemmArgs.cBatch))))),
      panel.set(i32.add(arg(GemmArgs.scratch), i32.mul(thread.get(), GEMM_SCRATCH_BYTES))),
      forLoop(k0, 0, k.get(), GEMM_DEPTH_BLOCK, seq(
        kc.set(i32.minS(GEMM_DEPTH_BLOCK, i32.sub(k.get(), k0.get()))),
        first.set(i32.and(i32.eqz(k0.get()), i32.eqz(arg(GemmArgs.accumulate)))),
        forLoop(s0, 0, strips.get(), STRIP_BLOCK, seq(
          s1.set(i32.minS(strips.get(), i32.add(s0.get(), STRIP_BLOCK))),
          row.set(rowStart.get()),
          whileLoop(i32.ltS(row.get(), rowEnd.get()), seq(
            rows.set(i32.minS(GEMM_ROWS, i32.sub(rowEnd.get(), row.get()))),
            call(
              packA,
              i32.add(aBase.get(), bytes(i32.add(i32.mul(row.get(), rowStride.get()), i32.mul(k0.get(), columnStride.get())))),
              bytes(rowStride.get()),
              bytes(columnStride.get()),
              rows.get(),
              kc.get(),
              panel.get(),
            ),
            forLoop(s, s0.get(), s1.get(), 1, seq(
              bStrip.set(i32.add(bBase.get(), bytes(i32.add(i32.mul(s.get(), i32.shl(k.get(), 3)), i32.shl(k0.get(), 3))))),
              ifThen(
                i32.eq(rows.get(), GEMM_ROWS),
                call(micro, panel.get(), bStrip.get(), 32, cTile(row.get()), i32.shl(ldc.get(), 2), kc.get(), first.get()),
                seq(...tails),
              ),
            )),
            row.set(i32.add(row.get(), GEMM_ROWS)),
          )),
        )),
      )),
    );
  }, true);
  return { micro, microOne, packA, wide: addWideMicroKernel(module, relaxed) };
}

/**
 * `packA(a, rowStrideBytes, columnStrideBytes, rows, kc, out)`: writes `rows` (≤ 5) rows ×
 * `kc` columns of A to `out` as [kc][5] vectors, each A value broadcast to four lanes so the
 * micro-kernel reads it with one aligned load; missing rows are zeros.
 */
function addPackA(module: ModuleBuilder): number {
  return module.function('gemmPackA', ['i32', 'i32', 'i32', 'i32', 'i32', 'i32'], [], (fn) => {
    const a = fn.param(0, 'i32');
    const rowStride = fn.param(1, 'i32');
    const columnStride = fn.param(2, 'i32');
    const rows = fn.param(3, 'i32');
    const kc = fn.param(4, 'i32');
    const out = fn.param(5, 'i32');
    const [p, r] = fn.locals('i32', 2);
    const rowAddress = (lane: number | Local<'i32'>) =>
      typeof lane === 'number' ? (lane === 0 ? a.get() : i32.add(a.get(), i32.mul(rowStride.get(), lane))) : i32.add(a.get(), i32.mul(rowStride.get(), lane.get()));
    const fullRows = forLoop(p, 0, kc.get(), 1, seq(
      ...Array.from({ length: GEMM_ROWS }, (_, lane) => f32x4.store(out.get(), f32x4.loadSplat(rowAddress(lane)), lane * 16)),
      a.set(i32.add(a.get(), columnStride.get())),
      out.set(i32.add(out.get(), GEMM_ROWS * 16)),
    ));
    const someRows = forLoop(p, 0, kc.get(), 1, seq(
      forLoop(r, 0, GEMM_ROWS, 1,
        f32x4.store(
          i32.add(out.get(), i32.shl(r.get(), 4)),
          f32x4.bitselect(f32x4.loadSplat(i32.select(rowAddress(r), a.get(), i32.ltS(r.get(), rows.get()))), f32x4.const(0), f32x4.splatI32(i32.sub(0, i32.ltS(r.get(), rows.get())))),
        ),
      ),
      a.set(i32.add(a.get(), columnStride.get())),
      out.set(i32.add(out.get(), GEMM_ROWS * 16)),
    ));
    return ifThen(i32.eq(rows.get(), GEMM_ROWS), fullRows, someRows);
  });
}

/** `gemmPackB(args, chunk, thread)`: packs strips of B (any strides) into the gemm's layout, zero-padding columns ≥ n. */
function addPackB(module: ModuleBuilder): number {
  return module.function('gemmPackB', ['i32', 'i32', 'i32'], [], (fn) => {
    const args = fn.param(0, 'i32');
    const chunk = fn.param(1, 'i32');
    const [batch, source, target, k, n, rowStride, columnStride, s, s1, p, j, column, from] = fn.locals('i32', 13);
    const arg = (offset: number) => i32.load(args.get(), offset);
    const element = (jj: Expr<'i32'>) => i32.add(from.get(), i32.shl(i32.mul(jj, columnStride.get()), 2));
    return seq(
      batch.set(i32.divS(chunk.get(), arg(PackArgs.chunksPerBatch))),
      k.set(arg(PackArgs.k)),
      n.set(arg(PackArgs.n)),
      rowStride.set(arg(PackArgs.rowStride)),
      columnStride.set(arg(PackArgs.columnStride)),
      s.set(i32.mul(i32.remS(chunk.get(), arg(PackArgs.chunksPerBatch)), arg(PackArgs.stripsPerChunk))),
      s1.set(i32.minS(i32.shrS(i32.add(n.get(), 7), 3), i32.add(s.get(), arg(PackArgs.stripsPerChunk)))),
      source.set(i32.add(arg(PackArgs.source), i32.shl(i32.mul(batch.get(), arg(PackArgs.sourceBatch)), 2))),
      // Packed batches are contiguous: strips * 8 * k floats each.
      target.set(i32.add(arg(PackArgs.target), i32.shl(i32.mul(i32.add(i32.mul(batch.get(), i32.shl(i32.shrS(i32.add(n.get(), 7), 3), 3)), i32.shl(s.get(), 3)), k.get()), 2))),
      whileLoop(i32.ltS(s.get(), s1.get()), seq(
        column.set(i32.shl(s.get(), 3)),
        forLoop(p, 0, k.get(), 1, seq(
          from.set(i32.add(source.get(), i32.shl(i32.add(i32.mul(p.get(), rowStride.get()), i32.mul(column.get(), columnStride.get())), 2))),
          ifThen(
            i32.and(i32.eq(columnStride.get(), 1), i32.leS(i32.add(column.get(), 8), n.get())),
            seq(f32x4.store(target.get(), f32x4.load(from.get())), f32x4.store(target.get(), f32x4.load(from.get(), 16), 16)),
            forLoop(j, 0, 8, 1,
              i32.store(
                i32.add(target.get(), i32.shl(j.get(), 2)),
                ifThenValue(i32.ltS(i32.add(column.get(), j.get()), n.get()), element(j.get())),
              ),
            ),
          ),
          target.set(i32.add(target.get(), 32)),
        )),
        s.set(i32.add(s.get(), 1)),
      )),
    );
  }, true);
}

/** `gemmPackPanels(args, chunk, thread)`: see {@link PanelArgs}. */
function addPackPanels(module: ModuleBuilder, packA: number): void {
  module.function('gemmPackPanels', ['i32', 'i32', 'i32'], [], (fn) => {
    const args = fn.param(0, 'i32');
    const chunk = fn.param(1, 'i32');
    const [batch, groups, group, groupEnd, rows, depth, padded, out, end] = fn.locals('i32', 9);
    const arg = (offset: number) => i32.load(args.get(), offset);
    const panelBytes = GEMM_ROWS * 16;
    return seq(
      batch.set(i32.divS(chunk.get(), arg(PanelArgs.chunksPerBatch))),
      rows.set(arg(PanelArgs.rows)),
      depth.set(arg(PanelArgs.depth)),
      padded.set(arg(PanelArgs.depthPadded)),
      groups.set(i32.divS(i32.add(rows.get(), GEMM_ROWS - 1), GEMM_ROWS)),
      group.set(i32.mul(i32.remS(chunk.get(), arg(PanelArgs.chunksPerBatch)), arg(PanelArgs.groupsPerChunk))),
      groupEnd.set(i32.minS(groups.get(), i32.add(group.get(), arg(PanelArgs.groupsPerChunk)))),
      whileLoop(i32.ltS(group.get(), groupEnd.get()), seq(
        out.set(i32.add(arg(PanelArgs.target), i32.mul(i32.mul(i32.add(i32.mul(batch.get(), groups.get()), group.get()), padded.get()), panelBytes))),
        call(
          packA,
          i32.add(arg(PanelArgs.source), i32.shl(i32.add(i32.mul(batch.get(), arg(PanelArgs.sourceBatch)), i32.mul(i32.mul(group.get(), GEMM_ROWS), arg(PanelArgs.rowStride))), 2)),
          i32.shl(arg(PanelArgs.rowStride), 2),
          i32.shl(arg(PanelArgs.columnStride), 2),
          i32.minS(GEMM_ROWS, i32.sub(rows.get(), i32.mul(group.get(), GEMM_ROWS))),
          depth.get(),
          out.get(),
        ),
        end.set(i32.add(out.get(), i32.mul(padded.get(), panelBytes))),
        out.set(i32.add(out.get(), i32.mul(depth.get(), panelBytes))),
        whileLoop(i32.ltS(out.get(), end.get()), seq(f32x4.store(out.get(), f32x4.const(0)), out.set(i32.add(out.get(), 16)))),
        group.set(i32.add(group.get(), 1)),
      )),
    );
  }, true);
}

/** The bits at `address` when `condition`, else 0 (without reading out of range). */
function ifThenValue(condition: Expr<'i32'>, address: Expr<'i32'>): Expr<'i32'> {
  return i32.select(i32.load(i32.select(address, 0, condition)), 0, condition);
}

/**
 * A kernel with one row and `vectors` × 4 columns (default 32):
 * `(panelLane, b, bStride, c, ldcBytes, kc, first)` like the others, for one row of a broadcast
 * panel against 32 consecutive columns of B, with the B vectors folded into the multiplies so
 * 8 accumulators fit the registers. It serves the rows a 5-row tile leaves over (and batch 1).
 */
export function addWideMicroKernel(module: ModuleBuilder, relaxed: boolean, vectors = 8): number {
  return module.function(`gemmMicro1x${vectors * 4}`, ['i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32'], [], (fn) => {
    const a = fn.param(0, 'i32');
    const b = fn.param(1, 'i32');
    const bStride = fn.param(2, 'i32');
    const c = fn.param(3, 'i32');
    const kc = fn.param(5, 'i32');
    const first = fn.param(6, 'i32');
    const end = fn.local('i32');
    const accumulators = fn.locals('v128', vectors);
    const x = fn.local('v128');
    return seq(
      ifThen(
        first.get(),
        seq(...accumulators.map((accumulator) => accumulator.set(f32x4.const(0)))),
        seq(...accumulators.map((accumulator, v) => accumulator.set(f32x4.load(c.get(), v * 16)))),
      ),
      end.set(i32.add(b.get(), i32.mul(kc.get(), bStride.get()))),
      whileLoop(i32.ltS(b.get(), end.get()), seq(
        x.set(f32x4.load(a.get())),
        ...accumulators.map((accumulator, v) => accumulator.set(madd(x.get(), f32x4.load(b.get(), v * 16), accumulator.get(), relaxed))),
        b.set(i32.add(b.get(), bStride.get())),
        a.set(i32.add(a.get(), GEMM_ROWS * 16)),
      )),
      ...accumulators.map((accumulator, v) => f32x4.store(c.get(), accumulator.get(), v * 16)),
    );
  });
}

/**
 * Where the micro-kernel's A values come from: a broadcast panel (5 vectors per depth, the
 * fast path), or rows of a row-major matrix with a fixed row stride in bytes, broadcast on load.
 */
export type MicroSource = { kind: 'panel' } | { kind: 'rows'; rowStrideBytes: number };

/**
 * `micro(a, b, bStride, c, ldcBytes, kc, first)`: C[rows × 8] (+)= A · B over `kc` depths,
 * where B's 8 columns of depth p are at `b + p * bStride` (32 for a packed strip). With a panel
 * source, `a` is the panel (with one row: that row's vector, still stepping 5 vectors per depth).
 */
export function addMicroKernel(module: ModuleBuilder, rows: number, relaxed: boolean, source: MicroSource = { kind: 'panel' }): number {
  const name = source.kind === 'panel' ? `gemmMicro${rows}x8` : `gemmMicroRows${rows}x8`;
  return module.function(name, ['i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32'], [], (fn) => {
    const a = fn.param(0, 'i32');
    const b = fn.param(1, 'i32');
    const bStride = fn.param(2, 'i32');
    const c = fn.param(3, 'i32');
    const ldcBytes = fn.param(4, 'i32');
    const kc = fn.param(5, 'i32');
    const first = fn.param(6, 'i32');
    const end = fn.local('i32');
    const accumulators = Array.from({ length: rows }, () => [fn.local('v128'), fn.local('v128')] as const);
    const [b0, b1, x] = fn.locals('v128', 3);
    const rowAddress = (r: number) => (r === 0 ? c.get() : i32.add(c.get(), i32.mul(ldcBytes.get(), r)));
    const loadA = (r: number) => (source.kind === 'panel' ? f32x4.load(a.get(), r * 16) : f32x4.loadSplat(a.get(), r * source.rowStrideBytes));
    return seq(
      ifThen(
        first.get(),
        seq(...accumulators.flatMap(([low, high]) => [low.set(f32x4.const(0)), high.set(f32x4.const(0))])),
        seq(...accumulators.flatMap(([low, high], r) => [low.set(f32x4.load(rowAddress(r))), high.set(f32x4.load(rowAddress(r), 16))])),
      ),
      end.set(i32.add(b.get(), i32.mul(kc.get(), bStride.get()))),
      whileLoop(i32.ltS(b.get(), end.get()), seq(
        b0.set(f32x4.load(b.get())),
        b1.set(f32x4.load(b.get(), 16)),
        ...accumulators.map(([low, high], r) =>
          seq(
            x.set(loadA(r)),
            low.set(madd(x.get(), b0.get(), low.get(), relaxed)),
            high.set(madd(x.get(), b1.get(), high.get(), relaxed)),
          ),
        ),
        b.set(i32.add(b.get(), bStride.get())),
        a.set(i32.add(a.get(), source.kind === 'panel' ? GEMM_ROWS * 16 : 4)),
      )),
      ...accumulators.map(([low, high], r) => seq(f32x4.store(rowAddress(r), low.get()), f32x4.store(rowAddress(r), high.get(), 16))),
    );
  });
}
