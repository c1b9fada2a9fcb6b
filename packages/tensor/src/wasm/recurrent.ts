import { call, drop, f32x4, forLoop, i32, ifThen, seq, whileLoop, type Code, type Expr, type Local, type ModuleBuilder } from './builder.js';
import { GEMM_ROWS, addWideMicroKernel, type GemmFunctions } from './gemm.js';
import { exp2InPlace } from './vector-math.js';
import { Control } from './worker-source.js';

/** The recurrent cells the fused sweep runs, and their gate counts (LSTM i, f, g, o; GRU r, z, n; Elman RNN one). */
export type SweepMode = 'lstm' | 'gru' | 'rnnTanh' | 'rnnRelu';
export const sweepGates: Record<SweepMode, number> = { lstm: 4, gru: 3, rnnTanh: 1, rnnRelu: 1 };

/**
 * Byte offsets of a sweep job's arguments (i32 words). Layouts (floats, H8 = H rounded up to 8,
 * G gates): `projected` [T][B][G][H8] (x·W_ihᵀ + b_ih, in time order, not sweep order); `bias`
 * [G][H8]; `weights` W_hhᵀ in wide strips of 8 units × G gates: [H8 / 8][H][G × 8], column
 * k·8 + c of strip u holding gate k of unit 8u + c; `panels` two buffers of h as broadcast panels
 * [ceil(B / 5)][H][5 × 4]; `hidden`, `cell` (LSTM) [B][H8]; `lengths` [B] (i32); `output`,
 * `cells` (LSTM) [rows][H8] and `gates` [rows][4][H8] (LSTM i, f, g, o; GRU r, z, n, W_hn·h + b_hn),
 * where row = `t * B + b`, or `b * T + t` with `batchFirst`; `gates` is 0 when not saved.
 */
export const SweepArgs = {
  projected: 0,
  bias: 4,
  weights: 8,
  panels: 12,
  hidden: 16,
  cell: 20,
  lengths: 24,
  output: 28,
  gates: 32,
  cells: 36,
  steps: 40,
  batch: 44,
  size: 48,
  reverse: 52,
  batchFirst: 56,
  participants: 60,
  /** 1 when the posting thread may block in `memory.atomic.wait32` (not a browser's main thread). */
  mainCanBlock: 64,
  scratch: 68,
  scratchStride: 72,
} as const;

/** Spins on the barrier's generation this many times before sleeping. */
const SPINS = 4000;

/**
 * `barrier(participants, canBlock)`: the last of `participants` threads to arrive starts the
 * next generation and wakes the others; the rest spin a little, then sleep on the generation.
 */
function addBarrier(module: ModuleBuilder): number {
  return module.function('barrier', ['i32', 'i32'], [], (fn) => {
    const participants = fn.param(0, 'i32');
    const canBlock = fn.param(1, 'i32');
    const [generation, spins] = fn.locals('i32', 2);
    const count = Control.BARRIER_COUNT * 4;
    const generationAddress = Control.BARRIER_GENERATION * 4;
    return seq(
      generation.set(i32.atomicLoad(generationAddress)),
      ifThen(
        i32.eq(i32.atomicAdd(count, 1), i32.sub(participants.get(), 1)),
        seq(
          i32.atomicStore(count, 0),
          drop(i32.atomicAdd(generationAddress, 1)),
          drop(i32.atomicNotify(generationAddress, participants.get())),
        ),
        seq(
          spins.set(0),
          whileLoop(i32.eq(i32.atomicLoad(generationAddress), generation.get()), seq(
            spins.set(i32.add(spins.get(), 1)),
            ifThen(i32.and(canBlock.get(), i32.gtS(spins.get(), SPINS)), drop(i32.atomicWait(generationAddress, generation.get(), 1_000_000))),
          )),
        ),
      ),
    );
  });
}

/** Lane-wise logistic sigmoid of `x` into `x` (temporaries `n`, `scale`): 1 / (1 + 2^(−x·log2 e)). */
function sigmoidInPlace(x: Local<'v128'>, n: Local<'v128'>, scale: Local<'v128'>): Code {
  return seq(
    x.set(f32x4.mul(x.get(), f32x4.const(-Math.LOG2E))),
    exp2InPlace(x, n, scale),
    x.set(f32x4.div(f32x4.const(1), f32x4.add(f32x4.const(1), x.get()))),
  );
}

/** Lane-wise tanh of `x` into `x`: 2·sigmoid(2x) − 1. */
export function tanhInPlace(x: Local<'v128'>, n: Local<'v128'>, scale: Local<'v128'>): Code {
  return seq(
    x.set(f32x4.mul(x.get(), f32x4.const(-2 * Math.LOG2E))),
    exp2InPlace(x, n, scale),
    x.set(f32x4.sub(f32x4.div(f32x4.const(2), f32x4.add(f32x4.const(1), x.get())), f32x4.const(1))),
  );
}

/**
 * `lstmChunk` and `gruChunk(args, participant, thread)`: the whole sweep for participant `p` of
 * P, which owns unit groups [p·U/P, (p+1)·U/P) of U = H8 / 8. Each step: gate tile = h · W_hhᵀ
 * for its units (gemm micro-kernel on the shared h panel), the cell update, its part of the next
 * h panel, then a barrier. Every unit is computed the same way whatever P is.
 */
export function addRecurrentSweeps(module: ModuleBuilder, gemm: GemmFunctions, threads: boolean, relaxed: boolean): void {
  const barrier = threads ? addBarrier(module) : -1;
  addSweep(module, gemm, 'lstm', gemm.wide, barrier);
  addSweep(module, gemm, 'gru', addWideMicroKernel(module, relaxed, 6), barrier);
  // One gate is 8 columns: the gemm's one-row micro-kernel serves the leftover rows.
  addSweep(module, gemm, 'rnnTanh', gemm.microOne, barrier);
  addSweep(module, gemm, 'rnnRelu', gemm.microOne, barrier);
}

function addSweep(module: ModuleBuilder, gemm: GemmFunctions, mode: SweepMode, wide: number, barrier: number): void {
  const threads = barrier >= 0;
  const gateCount = sweepGates[mode];
  module.function(`${mode}Chunk`, ['i32', 'i32', 'i32'], [], (fn) => {
    const args = fn.param(0, 'i32');
    const participant = fn.param(1, 'i32');
    const thread = fn.param(2, 'i32');
    const arg = (offset: number) => i32.load(args.get(), offset);
    const [steps, batch, size, size8, units, unit0, unit1, step, t, unit, gate, group, groups, b, half, read, write, tile, row, column, canBlock, lane] = fn.locals('i32', 22);
    const [gi, gf, gg, go, cellValue, n, scale] = fn.locals('v128', 7);
    const panelBytes = i32.mul(i32.mul(i32.divS(i32.add(batch.get(), GEMM_ROWS - 1), GEMM_ROWS), size.get()), GEMM_ROWS * 16);
    const wideStrip = i32.add(arg(SweepArgs.weights), i32.mul(unit.get(), i32.mul(size.get(), gateCount * 32)));
    const tileRow = (r: Expr<'i32'>) => i32.add(tile.get(), i32.shl(i32.add(i32.shl(r, 5), i32.shl(gate.get(), 3)), 2));
    const panelRow = (g: Expr<'i32'>) => i32.add(read.get(), i32.mul(g, i32.mul(size.get(), GEMM_ROWS * 16)));
    const stateAt = (base: number) => i32.add(arg(base), i32.shl(i32.add(i32.mul(b.get(), size8.get()), column.get()), 2));
    const projectedAt = (k: number) =>
      f32x4.load(i32.add(arg(SweepArgs.projected), i32.shl(i32.add(i32.mul(i32.add(i32.mul(i32.add(i32.mul(t.get(), batch.get()), b.get()), gateCount), k), size8.get()), column.get()), 2)));
    const biasAt = (k: number) => f32x4.load(i32.add(arg(SweepArgs.bias), i32.shl(i32.add(i32.mul(k, size8.get()), column.get()), 2)));
    const tileAt = (k: number) => f32x4.load(i32.add(tile.get(), i32.shl(i32.add(i32.shl(b.get(), 5), i32.add(k * 8, i32.shl(half.get(), 2))), 2)));
    const gateInput = (k: number) =>
      f32x4.add(
        f32x4.add(tileAt(k),
          projectedAt(k)),
        biasAt(k),
      );
    const outputRow = i32.select(i32.add(i32.mul(b.get(), steps.get()), t.get()), i32.add(i32.mul(t.get(), batch.get()), b.get()), arg(SweepArgs.batchFirst));
    const saveGates = (gates: Local<'v128'>[]) =>
      seq(...gates.map((value, k) => f32x4.store(i32.add(arg(SweepArgs.gates), i32.shl(i32.add(i32.mul(i32.add(i32.shl(row.get(), 2), k), size8.get()), column.get()), 2)), value.get())));
    const outputAt = i32.add(arg(SweepArgs.output), i32.shl(i32.add(i32.mul(row.get(), size8.get()), column.get()), 2));
    const lstmUpdate = seq(
      gi.set(gateInput(0)),
      sigmoidInPlace(gi, n, scale),
      gf.set(gateInput(1)),
      sigmoidInPlace(gf, n, scale),
      gg.set(gateInput(2)),
      tanhInPlace(gg, n, scale),
      go.set(gateInput(3)),
      sigmoidInPlace(go, n, scale),
      cellValue.set(f32x4.add(f32x4.mul(gf.get(), f32x4.load(stateAt(SweepArgs.cell))), f32x4.mul(gi.get(), gg.get()))),
      f32x4.store(stateAt(SweepArgs.cell), cellValue.get()),
      ifThen(arg(SweepArgs.gates), seq(
        saveGates([gi, gf, gg, go]),
        f32x4.store(i32.add(arg(SweepArgs.cells), i32.shl(i32.add(i32.mul(row.get(), size8.get()), column.get()), 2)), cellValue.get()),
      )),
      tanhInPlace(cellValue, n, scale),
      cellValue.set(f32x4.mul(go.get(), cellValue.get())),
      f32x4.store(stateAt(SweepArgs.hidden), cellValue.get()),
      f32x4.store(outputAt, cellValue.get()),
    );
    // GRU (PyTorch): r, z = σ(·); n = tanh(x_n + r ∘ (W_hn h + b_hn)); h' = n + z ∘ (h − n).
    const [reset, update, candidate, hiddenN] = [gi, gf, gg, go];
    const gruUpdate = seq(
      reset.set(gateInput(0)),
      sigmoidInPlace(reset, n, scale),
      update.set(gateInput(1)),
      sigmoidInPlace(update, n, scale),
      hiddenN.set(f32x4.add(tileAt(2), biasAt(2))),
      candidate.set(f32x4.add(projectedAt(2), f32x4.mul(reset.get(), hiddenN.get()))),
      tanhInPlace(candidate, n, scale),
      cellValue.set(f32x4.add(candidate.get(), f32x4.mul(update.get(), f32x4.sub(f32x4.load(stateAt(SweepArgs.hidden)), candidate.get())))),
      ifThen(arg(SweepArgs.gates), saveGates([reset, update, candidate, hiddenN])),
      f32x4.store(stateAt(SweepArgs.hidden), cellValue.get()),
      f32x4.store(outputAt, cellValue.get()),
    );
    // Elman RNN (PyTorch): h' = tanh or relu of (x·W_ihᵀ + b_ih + W_hh h + b_hh).
    const rnnUpdate = seq(
      cellValue.set(gateInput(0)),
      mode === 'rnnTanh' ? tanhInPlace(cellValue, n, scale) : cellValue.set(f32x4.max(cellValue.get(), f32x4.const(0))),
      f32x4.store(stateAt(SweepArgs.hidden), cellValue.get()),
      f32x4.store(outputAt, cellValue.get()),
    );
    const cellUpdate = mode === 'lstm' ? lstmUpdate : mode === 'gru' ? gruUpdate : rnnUpdate;
    return seq(
      steps.set(arg(SweepArgs.steps)),
      batch.set(arg(SweepArgs.batch)),
      size.set(arg(SweepArgs.size)),
      size8.set(i32.shl(i32.shrS(i32.add(size.get(), 7), 3), 3)),
      units.set(i32.shrS(size8.get(), 3)),
      unit0.set(i32.divS(i32.mul(participant.get(), units.get()), arg(SweepArgs.participants))),
      unit1.set(i32.divS(i32.mul(i32.add(participant.get(), 1), units.get()), arg(SweepArgs.participants))),
      groups.set(i32.divS(batch.get(), GEMM_ROWS)),
      tile.set(i32.add(arg(SweepArgs.scratch), i32.mul(thread.get(), arg(SweepArgs.scratchStride)))),
      canBlock.set(i32.or(i32.ne(thread.get(), 0), arg(SweepArgs.mainCanBlock))),
      forLoop(step, 0, steps.get(), 1, seq(
        t.set(i32.select(i32.sub(i32.sub(steps.get(), 1), step.get()), step.get(), arg(SweepArgs.reverse))),
        read.set(i32.add(arg(SweepArgs.panels), i32.mul(i32.and(step.get(), 1), panelBytes))),
        write.set(i32.add(arg(SweepArgs.panels), i32.mul(i32.and(i32.add(step.get(), 1), 1), panelBytes))),
        forLoop(unit, unit0.get(), unit1.get(), 1, seq(
          // Gate tile [B][32] = h · W_hhᵀ for this unit group's 8 units of each gate: 5-row tiles
          // per gate, then the leftover rows one at a time across all 32 columns.
          forLoop(gate, 0, gateCount, 1,
            forLoop(group, 0, groups.get(), 1,
              call(gemm.micro, panelRow(group.get()), i32.add(wideStrip, i32.shl(gate.get(), 5)), gateCount * 32, tileRow(i32.mul(group.get(), GEMM_ROWS)), 128, size.get(), 1)),
          ),
          gate.set(0),
          forLoop(lane, 0, i32.sub(batch.get(), i32.mul(groups.get(), GEMM_ROWS)), 1,
            call(wide, i32.add(panelRow(groups.get()), i32.shl(lane.get(), 4)), wideStrip, gateCount * 32, tileRow(i32.add(i32.mul(groups.get(), GEMM_ROWS), lane.get())), 0, size.get(), 1)),
          forLoop(b, 0, batch.get(), 1, seq(
            ifThen(i32.ltS(t.get(), i32.load(i32.add(arg(SweepArgs.lengths), i32.shl(b.get(), 2)))), seq(
              row.set(outputRow),
              forLoop(half, 0, 2, 1, seq(
                column.set(i32.add(i32.shl(unit.get(), 3), i32.shl(half.get(), 2))),
                cellUpdate,
              )),
            )),
            // This group's units of h (new or held) into the next panel: depth j, lane b % 5.
            column.set(i32.shl(unit.get(), 3)),
            forLoop(lane, column.get(), i32.minS(size.get(), i32.add(column.get(), 8)), 1,
              f32x4.store(
                i32.add(write.get(), i32.add(i32.mul(i32.add(i32.mul(i32.divS(b.get(), GEMM_ROWS), size.get()), lane.get()), GEMM_ROWS * 16), i32.shl(i32.remS(b.get(), GEMM_ROWS), 4))),
                f32x4.loadSplat(i32.add(arg(SweepArgs.hidden), i32.shl(i32.add(i32.mul(b.get(), size8.get()), lane.get()), 2))),
              )),
          )),
        )),
        threads ? ifThen(i32.gtS(arg(SweepArgs.participants), 1), call(barrier, arg(SweepArgs.participants), canBlock.get())) : [],
      )),
    );
  }, true);
}

/** Per-thread scratch of a sweep: one gate tile [B rounded up to 5][32]. */
export function sweepScratch(batch: number): number {
  return Math.ceil(batch / GEMM_ROWS) * GEMM_ROWS * 32 * 4;
}

