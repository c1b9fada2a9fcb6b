import type { DataArray, FusedKernels } from '../backend.js';
import { sequenceLengths } from '../cpu/lstm.js';
import { contiguousData, readView } from '../cpu/strided.js';
import { GEMM_ROWS } from './gemm.js';
import { LstmArgs, lstmScratch } from './lstm.js';
import type { WasmRuntime } from './runtime.js';
import { canBlock } from './thread-pool.js';
import { writeArgs } from './wasm-attention.js';

type LstmArgsOf = FusedKernels<DataArray>['lstmSequence']['args'];

/** Multiply-adds per step from which the sweep splits units over threads (a barrier per step costs a few µs). */
const PARALLEL_STEP_WORK = 1 << 17;

/**
 * The fused LSTM sweep on the WebAssembly SIMD kernels (same contract as the JS
 * `lstmSequenceKernel`): the whole sequence is one job; each step's h · W_hhᵀ runs on the gemm
 * micro-kernel, with the hidden units split over threads that meet at a barrier per step.
 */
export function wasmLstmSequence(runtime: WasmRuntime, args: LstmArgsOf): { output: Float32Array; hidden: Float32Array; cell: Float32Array; gates: Float32Array | null; cells: Float32Array | null } {
  const [steps, batch, width] = args.projected.shape as [number, number, number];
  const size = width / 4;
  const size8 = Math.ceil(size / 8) * 8;
  const rows = steps * batch;
  const hidden0 = readView(args.hidden) as Float32Array;
  const cell0 = readView(args.cell) as Float32Array;
  const output = new Float32Array(rows * size);
  const gates = args.saveForBackward ? new Float32Array(rows * width) : null;
  const cells = args.saveForBackward ? new Float32Array(rows * size) : null;
  if (rows === 0 || size === 0) return { output, hidden: hidden0, cell: cell0, gates, cells };
  runtime.reset();
  const lengths = sequenceLengths(args.lengths, batch, steps);

  // x·W_ihᵀ + b_ih as [T][B][4][H8] (padded units zero).
  const projected = runtime.alloc(rows * 4 * size8 * 4);
  const source = readView(args.projected) as Float32Array;
  let memory = runtime.f32;
  if (size8 === size) memory.set(source, projected >> 2);
  else {
    memory.fill(0, projected >> 2, (projected >> 2) + rows * 4 * size8);
    for (let row = 0; row < rows * 4; row++) memory.set(source.subarray(row * size, row * size + size), (projected >> 2) + row * size8);
  }
  const bias = runtime.alloc(4 * size8 * 4);
  memory = runtime.f32;
  memory.fill(0, bias >> 2, (bias >> 2) + 4 * size8);
  if (args.biasHidden) {
    const values = contiguousData(args.biasHidden) as Float32Array;
    for (let gate = 0; gate < 4; gate++) memory.set(values.subarray(gate * size, gate * size + size), (bias >> 2) + gate * size8);
  }
  // W_hhᵀ wide strips: unit group u → [H][32], column k·8 + c = W_hh[k·H + 8u + c][p].
  const weights = runtime.alloc(size8 * 4 * size * 4);
  const weight = contiguousData(args.weightHidden) as Float32Array;
  memory = runtime.f32;
  for (let unit = 0; unit < size8 / 8; unit++) {
    const strip = (weights >> 2) + unit * size * 32;
    for (let gate = 0; gate < 4; gate++) {
      for (let column = 0; column < 8; column++) {
        const j = unit * 8 + column;
        const from = (gate * size + j) * size;
        for (let p = 0; p < size; p++) memory[strip + p * 32 + gate * 8 + column] = j < size ? weight[from + p] : 0;
      }
    }
  }
  // Two h panels [ceil(B/5)][H][5 × 4]; the first holds h0.
  const panelFloats = Math.ceil(batch / GEMM_ROWS) * size * GEMM_ROWS * 4;
  const panels = runtime.alloc(2 * panelFloats * 4);
  const state = runtime.alloc(batch * size8 * 4);
  const cellState = runtime.alloc(batch * size8 * 4);
  const lengthsAddress = runtime.alloc(batch * 4);
  const out = runtime.alloc(rows * size8 * 4);
  const gatesOut = args.saveForBackward ? runtime.alloc(rows * 4 * size8 * 4) : 0;
  const cellsOut = args.saveForBackward ? runtime.alloc(rows * size8 * 4) : 0;
  const participants = chooseParticipants(runtime, batch * width * size, size8 / 8);
  const scratchStride = lstmScratch(batch);
  const scratch = runtime.alloc(runtime.pool.size * scratchStride);
  memory = runtime.f32;
  memory.fill(0, panels >> 2, (panels >> 2) + 2 * panelFloats);
  // States, outputs and saved gates start at zero (padded steps stay zero).
  memory.fill(0, state >> 2, scratch >> 2);
  for (let b = 0; b < batch; b++) {
    for (let j = 0; j < size; j++) {
      const value = hidden0[b * size + j];
      memory[(state >> 2) + b * size8 + j] = value;
      memory[(cellState >> 2) + b * size8 + j] = cell0[b * size + j];
      const lane = (panels >> 2) + ((Math.floor(b / GEMM_ROWS) * size + j) * GEMM_ROWS + (b % GEMM_ROWS)) * 4;
      memory.fill(value, lane, lane + 4);
    }
  }
  runtime.i32.set(lengths, lengthsAddress >> 2);
  const jobArgs = runtime.args();
  writeArgs(runtime, jobArgs, [
    [LstmArgs.projected, projected], [LstmArgs.bias, bias], [LstmArgs.weights, weights], [LstmArgs.panels, panels],
    [LstmArgs.hidden, state], [LstmArgs.cell, cellState], [LstmArgs.lengths, lengthsAddress], [LstmArgs.output, out],
    [LstmArgs.gates, gatesOut], [LstmArgs.cells, cellsOut], [LstmArgs.steps, steps], [LstmArgs.batch, batch], [LstmArgs.size, size],
    [LstmArgs.reverse, args.reverse ? 1 : 0], [LstmArgs.batchFirst, args.batchFirst ? 1 : 0], [LstmArgs.participants, participants],
    [LstmArgs.mainCanBlock, canBlock() ? 1 : 0], [LstmArgs.scratch, scratch], [LstmArgs.scratchStride, scratchStride],
  ]);
  runtime.run('lstmChunk', jobArgs, participants, participants > 1, true);

  memory = runtime.f32;
  const unpad = (address: number, target: Float32Array, count: number, columns: number, padded: number) => {
    if (columns === padded) target.set(memory.subarray(address >> 2, (address >> 2) + count * columns));
    else for (let row = 0; row < count; row++) target.set(memory.subarray((address >> 2) + row * padded, (address >> 2) + row * padded + columns), row * columns);
  };
  unpad(out, output, rows, size, size8);
  if (gates && cells) {
    unpad(gatesOut, gates, rows * 4, size, size8);
    unpad(cellsOut, cells, rows, size, size8);
  }
  const hidden = new Float32Array(batch * size);
  const cell = new Float32Array(batch * size);
  unpad(state, hidden, batch, size, size8);
  unpad(cellState, cell, batch, size, size8);
  return { output, hidden, cell, gates, cells };
}

/** Threads for a sweep: only workers already running join (a barrier job must not wait for one to start). */
function chooseParticipants(runtime: WasmRuntime, stepWork: number, unitGroups: number): number {
  const pool = runtime.pool;
  if (pool.size <= 1 || stepWork < PARALLEL_STEP_WORK) return 1;
  pool.start();
  return Math.max(1, Math.min(pool.size, 1 + pool.ready, unitGroups));
}
