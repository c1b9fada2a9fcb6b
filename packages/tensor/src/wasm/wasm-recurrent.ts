import type { DataArray, FusedKernels, View } from '../backend.js';
import { sequenceLengths } from '../cpu/lstm.js';
import { contiguousData, readView } from '../cpu/strided.js';
import { GEMM_ROWS } from './gemm.js';
import { SweepArgs, sweepGates, sweepScratch, type SweepMode } from './recurrent.js';
import type { WasmRuntime } from './runtime.js';
import { canBlock, isNode } from './thread-pool.js';
import { writeArgs } from './wasm-attention.js';

type LstmArgsOf = FusedKernels<DataArray>['lstmSequence']['args'];
type GruArgsOf = FusedKernels<DataArray>['gruSequence']['args'];
type RnnArgsOf = FusedKernels<DataArray>['rnnSequence']['args'];

/** Multiply-adds per step from which a sweep splits units over threads (a barrier per step costs a few µs). */
const PARALLEL_STEP_WORK = 1 << 17;

/** Tuning of the sweeps' threading; `ignoreLoad` lets tests run threaded on a busy machine. */
export const sweepThreading = { ignoreLoad: false };

interface SweepInputs {
  projected: View<DataArray>;
  weightHidden: View<DataArray>;
  biasHidden: View<DataArray> | null;
  hidden: View<DataArray>;
  cell: View<DataArray> | null;
  lengths: readonly number[] | null;
  reverse: boolean;
  batchFirst: boolean;
  saveForBackward: boolean;
}

interface SweepResult {
  output: Float32Array;
  hidden: Float32Array;
  cell: Float32Array | null;
  gates: Float32Array | null;
  cells: Float32Array | null;
}

/** Copies `count` rows of `columns` floats into rows of `padded` floats at `address` (zeros between). */
function writeRows(memory: Float32Array, address: number, source: Float32Array, count: number, columns: number, padded: number): void {
  if (columns === padded) {
    memory.set(source.subarray(0, count * columns), address >> 2);
    return;
  }
  memory.fill(0, address >> 2, (address >> 2) + count * padded);
  for (let row = 0; row < count; row++) memory.set(source.subarray(row * columns, row * columns + columns), (address >> 2) + row * padded);
}

/** Reads `count` rows of `padded` floats from `address`, keeping the first `columns` of each. */
function readRows(memory: Float32Array, address: number, target: Float32Array, count: number, columns: number, padded: number): void {
  if (columns === padded) target.set(memory.subarray(address >> 2, (address >> 2) + count * columns));
  else for (let row = 0; row < count; row++) target.set(memory.subarray((address >> 2) + row * padded, (address >> 2) + row * padded + columns), row * columns);
}

/**
 * Copies a [T, B, G·H] float32 view into `address` as [T][B][G][H8] rows. A view whose last axis
 * is contiguous (batch-first input seen through a transpose, say) is copied a row at a time, with
 * no gathered copy in between; other views are gathered first.
 */
function writeProjected(memory: Float32Array, address: number, view: View<DataArray>, gateCount: number, size: number, size8: number): void {
  const [steps, batch, width] = view.shape as [number, number, number];
  const [stepStride, batchStride, columnStride] = view.strides as [number, number, number];
  const source = view.handle;
  if (columnStride !== 1 || !(source instanceof Float32Array)) {
    writeRows(memory, address, readView(view) as Float32Array, steps * batch * gateCount, size, size8);
    return;
  }
  if ((batch === 1 || batchStride === width) && (steps === 1 || stepStride === batch * width)) {
    // Time-major and dense: one copy (or one per padded row).
    writeRows(memory, address, source.subarray(view.offset, view.offset + steps * batch * width), steps * batch * gateCount, size, size8);
    return;
  }
  const padded = size !== size8;
  let target = address >> 2;
  if (padded) memory.fill(0, target, target + steps * batch * gateCount * size8);
  for (let t = 0; t < steps; t++) {
    for (let b = 0; b < batch; b++) {
      const start = view.offset + t * stepStride + b * batchStride;
      if (!padded) memory.set(source.subarray(start, start + width), target);
      else for (let gate = 0; gate < gateCount; gate++) memory.set(source.subarray(start + gate * size, start + gate * size + size), target + gate * size8);
      target += gateCount * size8;
    }
  }
}

/**
 * A fused recurrent sweep on the WebAssembly SIMD kernels: the whole sequence is one job; each
 * step's h · W_hhᵀ runs on the gemm micro-kernels against W_hh packed in strips of 8 units × all
 * gates, with the hidden units split over threads that meet at a barrier per step.
 */
function wasmSweep(runtime: WasmRuntime, mode: SweepMode, args: SweepInputs): SweepResult {
  const gateCount = sweepGates[mode];
  const [steps, batch, width] = args.projected.shape as [number, number, number];
  const size = width / gateCount;
  const size8 = Math.ceil(size / 8) * 8;
  const rows = steps * batch;
  const hidden0 = readView(args.hidden) as Float32Array;
  const cell0 = args.cell ? (readView(args.cell) as Float32Array) : null;
  const lstm = mode === 'lstm';
  const result: SweepResult = {
    output: new Float32Array(rows * size),
    hidden: hidden0,
    cell: cell0,
    gates: args.saveForBackward ? new Float32Array(rows * 4 * size) : null,
    cells: args.saveForBackward && lstm ? new Float32Array(rows * size) : null,
  };
  if (rows === 0 || size === 0) return result;
  runtime.reset();

  const projected = runtime.alloc(rows * gateCount * size8 * 4);
  writeProjected(runtime.f32, projected, args.projected, gateCount, size, size8);
  const bias = runtime.alloc(gateCount * size8 * 4);
  writeRows(runtime.f32, bias, args.biasHidden ? (contiguousData(args.biasHidden) as Float32Array) : new Float32Array(width), gateCount, size, size8);
  // W_hhᵀ in wide strips: unit group u → [H][G·8], column k·8 + c = W_hh[k·H + 8u + c][p].
  const stripWidth = gateCount * 8;
  const weights = runtime.alloc(size8 * gateCount * size * 4);
  const weight = contiguousData(args.weightHidden) as Float32Array;
  let memory = runtime.f32;
  for (let unit = 0; unit < size8 / 8; unit++) {
    const strip = (weights >> 2) + unit * size * stripWidth;
    for (let gate = 0; gate < gateCount; gate++) {
      for (let column = 0; column < 8; column++) {
        const j = unit * 8 + column;
        const from = (gate * size + j) * size;
        for (let p = 0; p < size; p++) memory[strip + p * stripWidth + gate * 8 + column] = j < size ? weight[from + p] : 0;
      }
    }
  }
  // Two h panels [ceil(B/5)][H][5 × 4]; the first holds h0.
  const panelFloats = Math.ceil(batch / GEMM_ROWS) * size * GEMM_ROWS * 4;
  const panels = runtime.alloc(2 * panelFloats * 4);
  const state = runtime.alloc(batch * size8 * 4);
  const cellState = lstm ? runtime.alloc(batch * size8 * 4) : 0;
  const lengths = runtime.alloc(batch * 4);
  const out = runtime.alloc(rows * size8 * 4);
  const gatesOut = args.saveForBackward ? runtime.alloc(rows * 4 * size8 * 4) : 0;
  const cellsOut = args.saveForBackward && lstm ? runtime.alloc(rows * size8 * 4) : 0;
  const participants = chooseParticipants(runtime, batch * width * size, size8 / 8);
  const scratchStride = sweepScratch(batch);
  const scratch = runtime.alloc(runtime.pool.size * scratchStride);
  memory = runtime.f32;
  memory.fill(0, panels >> 2, (panels >> 2) + 2 * panelFloats);
  // States, outputs and saved gates start at zero (padded steps stay zero).
  memory.fill(0, state >> 2, scratch >> 2);
  writeRows(memory, state, hidden0, batch, size, size8);
  if (cell0) writeRows(memory, cellState, cell0, batch, size, size8);
  for (let b = 0; b < batch; b++) {
    for (let j = 0; j < size; j++) {
      const lane = (panels >> 2) + ((Math.floor(b / GEMM_ROWS) * size + j) * GEMM_ROWS + (b % GEMM_ROWS)) * 4;
      memory.fill(hidden0[b * size + j], lane, lane + 4);
    }
  }
  runtime.i32.set(sequenceLengths(args.lengths, batch, steps), lengths >> 2);
  const jobArgs = runtime.args();
  writeArgs(runtime, jobArgs, [
    [SweepArgs.projected, projected], [SweepArgs.bias, bias], [SweepArgs.weights, weights], [SweepArgs.panels, panels],
    [SweepArgs.hidden, state], [SweepArgs.cell, cellState], [SweepArgs.lengths, lengths], [SweepArgs.output, out],
    [SweepArgs.gates, gatesOut], [SweepArgs.cells, cellsOut], [SweepArgs.steps, steps], [SweepArgs.batch, batch], [SweepArgs.size, size],
    [SweepArgs.reverse, args.reverse ? 1 : 0], [SweepArgs.batchFirst, args.batchFirst ? 1 : 0], [SweepArgs.participants, participants],
    [SweepArgs.mainCanBlock, canBlock() ? 1 : 0], [SweepArgs.scratch, scratch], [SweepArgs.scratchStride, scratchStride],
  ]);
  runtime.run(`${mode}Chunk`, jobArgs, participants, participants > 1, true);

  memory = runtime.f32;
  readRows(memory, out, result.output, rows, size, size8);
  if (result.gates) readRows(memory, gatesOut, result.gates, rows * 4, size, size8);
  if (result.cells) readRows(memory, cellsOut, result.cells, rows, size, size8);
  result.hidden = new Float32Array(batch * size);
  readRows(memory, state, result.hidden, batch, size, size8);
  if (lstm) {
    result.cell = new Float32Array(batch * size);
    readRows(memory, cellState, result.cell, batch, size, size8);
  }
  return result;
}

/**
 * Threads for a sweep: only workers already running join (a barrier job must not wait for one
 * to start), and none when the machine is oversubscribed (see {@link machineIsBusy}): threads
 * that meet at a barrier every step stall whenever one of them is descheduled. The result does
 * not depend on the choice.
 */
function chooseParticipants(runtime: WasmRuntime, stepWork: number, unitGroups: number): number {
  const pool = runtime.pool;
  if (pool.size <= 1 || stepWork < PARALLEL_STEP_WORK || (!sweepThreading.ignoreLoad && machineIsBusy(pool.size))) return 1;
  pool.start();
  return Math.max(1, Math.min(pool.size, 1 + pool.ready, unitGroups));
}

/**
 * In Node, whether the 1-minute load average exceeds the processors by more than this pool's
 * own threads could explain (other processes compete for the cores). Browsers do not say: false.
 */
function machineIsBusy(threads: number): boolean {
  if (!isNode) return false;
  const os = (globalThis as { process?: { getBuiltinModule?: (name: string) => unknown } }).process?.getBuiltinModule?.('node:os') as
    | { loadavg: () => number[]; availableParallelism?: () => number; cpus: () => unknown[] }
    | undefined;
  if (!os) return false;
  const processors = os.availableParallelism?.() ?? os.cpus().length;
  return os.loadavg()[0] > processors + threads;
}

/** The fused LSTM sweep (same contract as the JS `lstmSequenceKernel`). */
export function wasmLstmSequence(runtime: WasmRuntime, args: LstmArgsOf): { output: Float32Array; hidden: Float32Array; cell: Float32Array; gates: Float32Array | null; cells: Float32Array | null } {
  const result = wasmSweep(runtime, 'lstm', args);
  return { ...result, cell: result.cell ?? new Float32Array(0) };
}

/** The fused GRU sweep (same contract as the JS `gruSequenceKernel`). */
export function wasmGruSequence(runtime: WasmRuntime, args: GruArgsOf): { output: Float32Array; hidden: Float32Array; gates: Float32Array | null } {
  const { output, hidden, gates } = wasmSweep(runtime, 'gru', { ...args, cell: null });
  return { output, hidden, gates };
}

/** The fused Elman RNN sweep (same contract as the JS `rnnSequenceKernel`). */
export function wasmRnnSequence(runtime: WasmRuntime, args: RnnArgsOf): { output: Float32Array; hidden: Float32Array } {
  const { output, hidden } = wasmSweep(runtime, args.nonlinearity === 'relu' ? 'rnnRelu' : 'rnnTanh', { ...args, cell: null, saveForBackward: false });
  return { output, hidden };
}
