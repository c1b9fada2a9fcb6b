import type { DataArray, FusedKernels } from '../backend.js';
import { sequenceLengths } from '../cpu/lstm.js';
import { contiguousData } from '../cpu/strided.js';
import { GemmArgs } from './gemm.js';
import { SweepBackwardArgs } from './recurrent-backward.js';
import type { WasmRuntime } from './runtime.js';
import { PARALLEL_WORK, planGemm } from './wasm-matmul.js';
import { writeArgs } from './wasm-attention.js';

type LstmBackwardOf = FusedKernels<DataArray>['lstmSequenceBackward'];

const dense = (view: Parameters<typeof contiguousData>[0] | null): Float32Array | null => (view ? (contiguousData(view) as Float32Array) : null);

/** Copies `count` rows of `columns` floats into rows of `padded` floats at `address` (zeros between and for a null source). */
function stage(memory: Float32Array, address: number, source: Float32Array | null, count: number, columns: number, padded: number): void {
  const base = address >> 2;
  if (source === null || columns !== padded) memory.fill(0, base, base + count * padded);
  if (source === null) return;
  if (columns === padded) memory.set(source.subarray(0, count * columns), base);
  else for (let row = 0; row < count; row++) memory.set(source.subarray(row * columns, (row + 1) * columns), base + row * padded);
}

/** Reads `count` rows of `padded` floats at `address`, keeping the first `columns` of each. */
function unstage(memory: Float32Array, address: number, count: number, columns: number, padded: number): Float32Array {
  const target = new Float32Array(count * columns);
  const base = address >> 2;
  if (columns === padded) target.set(memory.subarray(base, base + count * columns));
  else for (let row = 0; row < count; row++) target.set(memory.subarray(base + row * padded, base + row * padded + columns), row * columns);
  return target;
}

type GruBackwardOf = FusedKernels<DataArray>['gruSequenceBackward'];
type RnnBackwardOf = FusedKernels<DataArray>['rnnSequenceBackward'];
type BackwardResult = { gradProjected: Float32Array; gradHidden: Float32Array; gradCell: Float32Array | null; gradWeightHidden: Float32Array | null; gradBiasHidden: Float32Array | null };

/**
 * Backpropagation through time of an LSTM, GRU or Elman RNN sweep on the WebAssembly SIMD kernels
 * (the contracts of `lstmSequenceBackward` / `gruSequenceBackward` / `rnnSequenceBackward`; the JS reference's results to
 * rounding). Everything stays in wasm memory for the whole sweep. Per step, in reverse sweep
 * order: the gate gradients of the real rows (SIMD, `lstmBackwardStepChunk` /
 * `gruBackwardStepChunk` / `rnnBackwardStepChunk`), then dh_{t−1} = dgates_t · W_hh on the gemm kernel (W_hh packed once)
 * and its carry into the running gradient. At the end, one gemm over all steps gives
 * `[dW_hh | db_hh] = Σ_t dgates_tᵀ [h_{t−1} | 1]`. The steps run on the calling thread; the
 * final product splits rows of the result over threads, each summed in the same order, so
 * results do not depend on the thread count.
 */
function wasmSweepBackward(runtime: WasmRuntime, mode: 'lstm' | 'gru' | 'tanh' | 'relu', args: LstmBackwardOf['args'] | GruBackwardOf['args'] | RnnBackwardOf['args']): BackwardResult {
  const lstm = mode === 'lstm';
  const gru = mode === 'gru';
  const lstmArgs = lstm ? (args as LstmBackwardOf['args']) : null;
  const gruArgs = gru ? (args as GruBackwardOf['args']) : null;
  const { steps, reverse, batchFirst } = args;
  const [width, size] = args.weightHidden.shape as [number, number];
  const gateCount = lstm ? 4 : gru ? 3 : 1;
  const batch = args.hidden.shape[0];
  const rows = steps * batch;
  const size8 = Math.ceil(size / 8) * 8;
  const gradWidth = gateCount * size8;
  const lengths = sequenceLengths(args.lengths, batch, steps);
  const rowOf = (t: number, b: number): number => (batchFirst ? b * steps + t : t * batch + b);
  const h0 = dense(args.hidden)!;
  const output = dense(args.output)!;
  runtime.reset();
  // Saved gates are rows of 4 blocks for both gated cells (GRU: r, z, n, W_hn·h + b_hn); the RNN saves none.
  const gates = lstm || gru ? runtime.alloc(rows * 4 * size8 * 4) : 0;
  const cells = lstm ? runtime.alloc(rows * size8 * 4) : 0;
  const outputRows = lstm ? 0 : runtime.alloc(rows * size8 * 4);
  const hidden0 = gru ? runtime.alloc(batch * size8 * 4) : 0;
  const gradOutput = runtime.alloc(rows * size8 * 4);
  const cell0 = lstm ? runtime.alloc(batch * size8 * 4) : 0;
  const gradHidden = runtime.alloc(batch * size8 * 4);
  const gradCell = lstm ? runtime.alloc(batch * size8 * 4) : 0;
  const direct = gru ? runtime.alloc(batch * size8 * 4) : 0;
  const carry = runtime.alloc(batch * size8 * 4);
  const lengthsAddress = runtime.alloc(batch * 4);
  const gradGates = runtime.alloc(rows * gradWidth * 4);
  // A GRU's gradient of W_hh·h + b_hh differs from gradGates in its n block.
  const gradHiddenPart = gru ? runtime.alloc(rows * gradWidth * 4) : gradGates;
  // W_hh as [G·H8][H]: row k·H8 + j holds W_hh[k·H + j] (zero rows for j ≥ H).
  const weight = runtime.alloc(gradWidth * size * 4);
  let memory = runtime.f32;
  if (lstmArgs || gruArgs) stage(memory, gates, dense((lstmArgs ?? gruArgs)!.gates), rows * 4, size, size8);
  if (!lstm) stage(memory, outputRows, output, rows, size, size8);
  if (lstmArgs) {
    stage(memory, cells, dense(lstmArgs.cells), rows, size, size8);
    stage(memory, cell0, dense(lstmArgs.cell), batch, size, size8);
    stage(memory, gradCell, dense(lstmArgs.gradCell), batch, size, size8);
  } else if (gru) {
    stage(memory, hidden0, h0, batch, size, size8);
    memory.fill(0, direct >> 2, (direct >> 2) + batch * size8);
    memory.fill(0, gradHiddenPart >> 2, (gradHiddenPart >> 2) + rows * gradWidth);
  }
  stage(memory, gradOutput, dense(args.gradOutput), rows, size, size8);
  stage(memory, gradHidden, dense(args.gradHidden), batch, size, size8);
  memory.fill(0, carry >> 2, (carry >> 2) + batch * size8);
  memory.fill(0, gradGates >> 2, (gradGates >> 2) + rows * gradWidth);
  const weightData = dense(args.weightHidden)!;
  memory.fill(0, weight >> 2, (weight >> 2) + gradWidth * size);
  for (let gate = 0; gate < gateCount; gate++) memory.set(weightData.subarray(gate * size * size, (gate + 1) * size * size), (weight >> 2) + gate * size8 * size);
  runtime.i32.set(lengths, lengthsAddress >> 2);

  const step = planGemm(runtime, {
    batches: 1,
    m: batch,
    k: gradWidth,
    n: size,
    a: { address: gradHiddenPart, rowStride: batchFirst ? steps * gradWidth : gradWidth, columnStride: 1, batchStride: 0 },
    b: { address: weight, rowStride: size, columnStride: 1, batchStride: 0 },
    c: carry,
  }, false);
  const jobArgs = runtime.args();
  writeArgs(runtime, jobArgs, [
    [SweepBackwardArgs.gates, gates], [SweepBackwardArgs.cells, cells], [SweepBackwardArgs.gradOutput, gradOutput], [SweepBackwardArgs.cell0, cell0],
    [SweepBackwardArgs.gradHidden, gradHidden], [SweepBackwardArgs.gradCell, gradCell], [SweepBackwardArgs.lengths, lengthsAddress],
    [SweepBackwardArgs.gradGates, gradGates], [SweepBackwardArgs.carry, carry], [SweepBackwardArgs.steps, steps], [SweepBackwardArgs.batch, batch],
    [SweepBackwardArgs.size8, size8], [SweepBackwardArgs.reverse, reverse ? 1 : 0], [SweepBackwardArgs.batchFirst, batchFirst ? 1 : 0],
    [SweepBackwardArgs.output, outputRows], [SweepBackwardArgs.hidden0, hidden0], [SweepBackwardArgs.gradHiddenPart, gru ? gradHiddenPart : 0], [SweepBackwardArgs.direct, direct],
    [SweepBackwardArgs.relu, mode === 'relu' ? 1 : 0],
  ]);
  const longest = Math.max(...lengths);
  for (let s = steps - 1; s >= 0; s--) {
    const t = reverse ? steps - 1 - s : s;
    if (t >= longest) continue;
    runtime.setI32(jobArgs, SweepBackwardArgs.step, t);
    runtime.run(lstm ? 'lstmBackwardStepChunk' : gru ? 'gruBackwardStepChunk' : 'rnnBackwardStepChunk', jobArgs, 1, false);
    runtime.setI32(step.args, GemmArgs.a, gradHiddenPart + rowOf(t, 0) * gradWidth * 4);
    runtime.run('gemmChunk', step.args, step.chunks, false);
    runtime.run('lstmBackwardCarryChunk', jobArgs, 1, false);
  }

  memory = runtime.f32;
  const result: BackwardResult = {
    gradProjected: unstage(memory, gradGates, rows * gateCount, size, size8),
    gradHidden: unstage(memory, gradHidden, batch, size, size8),
    gradCell: lstm ? unstage(memory, gradCell, batch, size, size8) : null,
    gradWeightHidden: null,
    gradBiasHidden: null,
  };
  if (!args.needWeightGradients) return result;
  // [h_{t−1} | 1] per row (the state each real step started from; padded rows have zero gate gradients).
  const columns = size + 1;
  const columns8 = Math.ceil(columns / 8) * 8;
  const previous = runtime.alloc(rows * columns8 * 4);
  memory = runtime.f32;
  memory.fill(0, previous >> 2, (previous >> 2) + rows * columns8);
  for (let b = 0; b < batch; b++) {
    for (let t = 0; t < lengths[b]; t++) {
      const target = (previous >> 2) + rowOf(t, b) * columns8;
      const first = reverse ? t === lengths[b] - 1 : t === 0;
      const from = first ? b * size : rowOf(reverse ? t + 1 : t - 1, b) * size;
      memory.set((first ? h0 : output).subarray(from, from + size), target);
      memory[target + size] = 1;
    }
  }
  const parallel = runtime.pool.size > 1 && gradWidth * columns * rows >= PARALLEL_WORK;
  const total = planGemm(runtime, {
    batches: 1,
    m: gradWidth,
    k: rows,
    n: columns,
    a: { address: gradHiddenPart, rowStride: 1, columnStride: gradWidth, batchStride: 0 },
    b: { address: previous, rowStride: columns8, columnStride: 1, batchStride: 0 },
  }, parallel);
  runtime.run('gemmChunk', total.args, total.chunks, parallel);
  memory = runtime.f32;
  const gradWeightHidden = new Float32Array(width * size);
  const gradBiasHidden = new Float32Array(width);
  for (let gate = 0; gate < gateCount; gate++) {
    for (let j = 0; j < size; j++) {
      const from = (total.c >> 2) + (gate * size8 + j) * total.ldc;
      gradWeightHidden.set(memory.subarray(from, from + size), (gate * size + j) * size);
      gradBiasHidden[gate * size + j] = memory[from + size];
    }
  }
  return { ...result, gradWeightHidden, gradBiasHidden };
}

/** LSTM backpropagation through time in WebAssembly (see {@link wasmSweepBackward}). */
export function wasmLstmSequenceBackward(runtime: WasmRuntime, args: LstmBackwardOf['args']): LstmBackwardOf['result'] {
  const { gradCell, ...rest } = wasmSweepBackward(runtime, 'lstm', args);
  return { ...rest, gradCell: gradCell! };
}

/** GRU backpropagation through time in WebAssembly (see {@link wasmSweepBackward}). */
export function wasmGruSequenceBackward(runtime: WasmRuntime, args: GruBackwardOf['args']): GruBackwardOf['result'] {
  const { gradCell: _none, ...rest } = wasmSweepBackward(runtime, 'gru', args);
  return rest;
}

/** Elman RNN backpropagation through time in WebAssembly (see {@link wasmSweepBackward}). */
export function wasmRnnSequenceBackward(runtime: WasmRuntime, args: RnnBackwardOf['args']): RnnBackwardOf['result'] {
  const { gradCell: _none, ...rest } = wasmSweepBackward(runtime, args.nonlinearity, args);
  return rest;
}
