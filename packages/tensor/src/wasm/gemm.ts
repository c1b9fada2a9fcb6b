import { f32x4, forLoop, i32, ifThen, seq, whileLoop, call, type Code, type Local, type ModuleBuilder } from './builder.js';
import { madd } from './vector-math.js';

/**
 * Register tile of the matmul micro-kernel: `GEMM_ROWS` rows of A times `GEMM_COLUMNS` columns of
 * B (two f32x4 vectors), 8 accumulators + 2 B vectors + 1 broadcast A in 16 xmm registers.
 */
export const GEMM_ROWS = Number(process.env.GEMM_ROWS ?? 4);
/** Columns per packed B strip (two vectors). */
export const GEMM_COLUMNS = 8;
/** Depth of one cache block (A micro-panel 4 × 256 floats = 4 KiB stays in L1). */
export const GEMM_DEPTH_BLOCK = 256;
/** Strips per cache block of B (256 × 8 × 48 floats = 384 KiB, in L2). */
const STRIP_BLOCK = 48;

/**
 * Byte offsets of the gemm job's arguments (i32 words). B is packed in strips of 8 columns:
 * element (p, j) of batch b lives at `b + 4 * (batch * bBatch + (j >> 3) * k * 8 + p * 8 + (j & 7))`.
 * C is row-major with `ldc` (a multiple of 8) columns; columns beyond `n` hold garbage.
 */
export const GemmArgs = {
  a: 0,
  lda: 4,
  aBatch: 8,
  b: 12,
  bBatch: 16,
  c: 20,
  ldc: 24,
  cBatch: 28,
  m: 32,
  strips: 36,
  k: 40,
  rowsPerChunk: 44,
  chunksPerBatch: 48,
  /** 1: C += A·B; 0: C = A·B. */
  accumulate: 52,
  /** Per-thread scratch for packed A panels: `scratch + participant * scratchStride`. */
  scratch: 56,
  scratchStride: 60,
  size: 64,
} as const;

/** Registers the gemm functions; returns the index of the exported chunk runner `gemmChunk(args, chunk, participant)`. */
export function addGemm(module: ModuleBuilder, relaxed: boolean): void {
  const micro = addMicroKernel(module, GEMM_ROWS, relaxed);
  const microOne = addMicroKernel(module, 1, relaxed);
  const pack = addPackA(module);
  module.function('gemmChunk', ['i32', 'i32', 'i32'], [], (fn) => {
    const args = fn.param(0, 'i32');
    const chunk = fn.param(1, 'i32');
    const participant = fn.param(2, 'i32');
    const [batch, rowStart, rowEnd, k, k0, kc, s0, s1, s, row, rows, aBase, bBase, cBase, ldc, lda, strips, panel, first, bStrip] =
      fn.locals('i32', 20);
    const arg = (offset: number) => i32.load(args.get(), offset);
    return seq(
      batch.set(i32.divS(chunk.get(), arg(GemmArgs.chunksPerBatch))),
      rowStart.set(i32.mul(i32.remS(chunk.get(), arg(GemmArgs.chunksPerBatch)), arg(GemmArgs.rowsPerChunk))),
      rowEnd.set(i32.minS(arg(GemmArgs.m), i32.add(rowStart.get(), arg(GemmArgs.rowsPerChunk)))),
      k.set(arg(GemmArgs.k)),
      ldc.set(arg(GemmArgs.ldc)),
      lda.set(arg(GemmArgs.lda)),
      strips.set(arg(GemmArgs.strips)),
      aBase.set(i32.add(arg(GemmArgs.a), i32.shl(i32.mul(batch.get(), arg(GemmArgs.aBatch)), 2))),
      bBase.set(i32.add(arg(GemmArgs.b), i32.shl(i32.mul(batch.get(), arg(GemmArgs.bBatch)), 2))),
      cBase.set(i32.add(arg(GemmArgs.c), i32.shl(i32.mul(batch.get(), arg(GemmArgs.cBatch)), 2))),
      panel.set(i32.add(arg(GemmArgs.scratch), i32.mul(participant.get(), arg(GemmArgs.scratchStride)))),
      forLoop(k0, 0, k.get(), GEMM_DEPTH_BLOCK, seq(
        kc.set(i32.minS(GEMM_DEPTH_BLOCK, i32.sub(k.get(), k0.get()))),
        first.set(i32.and(i32.eqz(k0.get()), i32.eqz(arg(GemmArgs.accumulate)))),
        forLoop(s0, 0, strips.get(), STRIP_BLOCK, seq(
          s1.set(i32.minS(strips.get(), i32.add(s0.get(), STRIP_BLOCK))),
          row.set(rowStart.get()),
          whileLoop(i32.ltS(row.get(), rowEnd.get()), seq(
            rows.set(i32.minS(GEMM_ROWS, i32.sub(rowEnd.get(), row.get()))),
            // Pack rows [row, row + rows) × depth [k0, k0 + kc) of A as [kc][4] (missing rows as zeros).
            call(pack, i32.add(aBase.get(), i32.shl(i32.add(i32.mul(row.get(), lda.get()), k0.get()), 2)), i32.shl(lda.get(), 2), rows.get(), kc.get(), panel.get()),
            forLoop(s, s0.get(), s1.get(), 1, seq(
              bStrip.set(i32.add(bBase.get(), i32.shl(i32.add(i32.mul(s.get(), i32.shl(k.get(), 3)), i32.shl(k0.get(), 3)), 2))),
              ifThen(
                i32.eq(rows.get(), GEMM_ROWS),
                call(micro, panel.get(), bStrip.get(), i32.add(cBase.get(), i32.shl(i32.add(i32.mul(row.get(), ldc.get()), i32.shl(s.get(), 3)), 2)), i32.shl(ldc.get(), 2), kc.get(), first.get()),
                tailRows(microOne, panel, bStrip, cBase, row, rows, ldc, s, kc, first),
              ),
            )),
            row.set(i32.add(row.get(), GEMM_ROWS)),
          )),
        )),
      )),
    );
  }, true);
}

/** Rows beyond the last full tile: one row at a time, reading lane `r` of the packed panel. */
function tailRows(
  microOne: number,
  panel: Local<'i32'>,
  bStrip: Local<'i32'>,
  cBase: Local<'i32'>,
  row: Local<'i32'>,
  rows: Local<'i32'>,
  ldc: Local<'i32'>,
  s: Local<'i32'>,
  kc: Local<'i32'>,
  first: Local<'i32'>,
): Code {
  const code: Code[] = [];
  for (let r = 0; r < GEMM_ROWS - 1; r++) {
    code.push(
      ifThen(
        i32.gtS(rows.get(), r),
        call(microOne, i32.add(panel.get(), r * 16), bStrip.get(), i32.add(cBase.get(), i32.shl(i32.add(i32.mul(i32.add(row.get(), r), ldc.get()), i32.shl(s.get(), 3)), 2)), 0, kc.get(), first.get()),
      ),
    );
  }
  return seq(...code);
}

/**
 * `packA(a, ldaBytes, rows, kc, out)`: copies `rows` (≤ 4) rows × `kc` columns of A into
 * `out` as [kc][4] (column-interleaved), zero-filling missing rows.
 */
function addPackA(module: ModuleBuilder): number {
  return module.function('gemmPackA', ['i32', 'i32', 'i32', 'i32', 'i32'], [], (fn) => {
    const a = fn.param(0, 'i32');
    const ldaBytes = fn.param(1, 'i32');
    const rows = fn.param(2, 'i32');
    const kc = fn.param(3, 'i32');
    const out = fn.param(4, 'i32');
    const [p, end, r] = fn.locals('i32', 3);
    const fullRows = seq(
      end.set(i32.add(a.get(), i32.shl(kc.get(), 2))),
      whileLoop(i32.ltS(a.get(), end.get()), seq(
        ...Array.from({ length: GEMM_ROWS }, (_, lane) => f32x4Lane(out, a, ldaBytes, lane)),
        a.set(i32.add(a.get(), 4)),
        out.set(i32.add(out.get(), GEMM_ROWS * 16)),
      )),
    );
    const someRows = seq(
      forLoop(p, 0, kc.get(), 1, seq(
        forLoop(r, 0, GEMM_ROWS, 1,
          ifThen(
            i32.ltS(r.get(), rows.get()),
            f32Store(i32.add(out.get(), i32.shl(r.get(), 4)), i32.add(i32.add(a.get(), i32.mul(r.get(), ldaBytes.get())), i32.shl(p.get(), 2))),
            zeroStore(i32.add(out.get(), i32.shl(r.get(), 4))),
          ),
        ),
        out.set(i32.add(out.get(), GEMM_ROWS * 16)),
      )),
    );
    return ifThen(i32.eq(rows.get(), GEMM_ROWS), fullRows, someRows);
  });
}

function f32x4Lane(out: Local<'i32'>, a: Local<'i32'>, ldaBytes: Local<'i32'>, lane: number): Code {
  return f32x4.store(out.get(), f32x4.loadSplat(lane === 0 ? a.get() : i32.add(a.get(), i32.mul(ldaBytes.get(), lane))), lane * 16);
}
const f32Store = (to: ReturnType<typeof i32.add>, from: ReturnType<typeof i32.add>): Code => f32x4.store(to, f32x4.loadSplat(from));
const zeroStore = (to: ReturnType<typeof i32.add>): Code => f32x4.store(to, f32x4.const(0));

/**
 * `micro(panel, b, c, ldcBytes, kc, first)`: C[rows × 8] (+)= panel[kc][4] lanes 0..rows-1 ·
 * B strip [kc][8]. With one row, `panel` points at that row's lane and steps 16 bytes per depth.
 */
function addMicroKernel(module: ModuleBuilder, rows: number, relaxed: boolean): number {
  return module.function(`gemmMicro${rows}x8`, ['i32', 'i32', 'i32', 'i32', 'i32', 'i32'], [], (fn) => {
    const panel = fn.param(0, 'i32');
    const b = fn.param(1, 'i32');
    const c = fn.param(2, 'i32');
    const ldcBytes = fn.param(3, 'i32');
    const kc = fn.param(4, 'i32');
    const first = fn.param(5, 'i32');
    const end = fn.local('i32');
    const accumulators = Array.from({ length: rows }, () => [fn.local('v128'), fn.local('v128')] as const);
    const b0 = fn.local('v128');
    const b1 = fn.local('v128');
    const x = fn.local('v128');
    const rowAddress = (r: number) => (r === 0 ? c.get() : i32.add(c.get(), i32.mul(ldcBytes.get(), r)));
    const step = (offset: number): Code =>
      seq(
        b0.set(f32x4.load(b.get(), offset * 32)),
        b1.set(f32x4.load(b.get(), offset * 32 + 16)),
        ...accumulators.map(([low, high], r) =>
          seq(
            x.set(f32x4.load(panel.get(), offset * GEMM_ROWS * 16 + r * 16)),
            low.set(madd(x.get(), b0.get(), low.get(), relaxed)),
            high.set(madd(x.get(), b1.get(), high.get(), relaxed)),
          ),
        ),
      );
    return seq(
      ifThen(
        first.get(),
        seq(...accumulators.flatMap(([low, high]) => [low.set(f32x4.const(0)), high.set(f32x4.const(0))])),
        seq(...accumulators.flatMap(([low, high], r) => [low.set(f32x4.load(rowAddress(r))), high.set(f32x4.load(rowAddress(r), 16))])),
      ),
      end.set(i32.add(b.get(), i32.shl(kc.get(), 5))),
      whileLoop(i32.ltS(b.get(), end.get()), seq(
        step(0),
        b.set(i32.add(b.get(), 32)),
        panel.set(i32.add(panel.get(), GEMM_ROWS * 16)),
      )),
      ...accumulators.map(([low, high], r) => seq(f32x4.store(rowAddress(r), low.get()), f32x4.store(rowAddress(r), high.get(), 16))),
    );
  });
}
