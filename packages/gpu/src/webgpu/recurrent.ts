import type { RecurrentSweepArgs, View } from '@heed/tensor';
import type { GpuHandle } from '../device.js';
import { Uniforms, spread, type BufferResult, type WgslRuntime } from './runtime.js';

/**
 * Whole-sequence LSTM / GRU / Elman RNN sweeps in WGSL: one dispatch per sequence batch, the
 * step loop inside the kernel (gpu.js would launch several kernels per step).
 *
 * WGSL has no barrier across workgroups, and step t + 1 needs all of step t's hidden state, so
 * one workgroup (256 threads) owns one batch entry for the whole sweep; B entries run as B
 * workgroups side by side. Each thread owns hidden units `j, j + 256, …`: for its unit it forms
 * the G gate pre-activations `x_t + b_hh + W_hh h` (W_hh transposed once per call by a small
 * dispatch, so a warp's reads of `W_hhᵀ[i, g·H + j]` are consecutive), applies the cell, and
 * writes `h_j` into the other half of a double-buffered state, so one barrier per step suffices.
 * For H ≤ 128, ⌊256 / H⌋ threads (at most 8) share a unit's dot products and a second barrier
 * per step lets the unit's first thread sum them, so no thread sits idle.
 * The state lives in workgroup memory for H ≤ 2040 (2·H floats within the 16 KiB guaranteed);
 * larger H keeps it in device memory with a storage barrier (slower, same results). An LSTM's
 * cell state lives in the result buffer, each unit written only by its owner.
 *
 * Limits: the parallelism is B × 256 threads, so a GPU is used well only for B in the tens or
 * more; the per-step latency (H multiply-adds per unit per gate) bounds a single sequence.
 * Results are written into one packed buffer (8 storage bindings are all WebGPU guarantees)
 * and copied out to the separate outputs in the same command buffer.
 */

/** The cell of a sweep: an LSTM, a GRU, or an Elman RNN with tanh or relu. */
export type RecurrentCell = 'lstm' | 'gru' | 'tanh' | 'relu';

type SweepArgs = RecurrentSweepArgs<GpuHandle> & { cell: View<GpuHandle> | null };

const THREADS = 256;
/** The largest hidden size whose double-buffered state fits the guaranteed 16 KiB of workgroup memory. */
const SHARED_STATE = 2040;

const gateCount = (cell: RecurrentCell): number => (cell === 'lstm' ? 4 : cell === 'gru' ? 3 : 1);

/** The statements computing `next` (the new h_j) from `x0…` (projection) and `acc[g]` (b_hh + W_hh h). */
function cellUpdate(cell: RecurrentCell, read: (index: string) => string): string {
  switch (cell) {
    case 'lstm':
      return `
      let inputGate = sigmoid(x[0] + acc[0]);
      let forgetGate = sigmoid(x[1] + acc[1]);
      let cellGate = tanhSafe(x[2] + acc[2]);
      let outputGate = sigmoid(x[3] + acc[3]);
      let cellIndex = params.cellAt + b * H + j;
      let cellState = forgetGate * result[cellIndex] + inputGate * cellGate;
      result[cellIndex] = cellState;
      let next = outputGate * tanhSafe(cellState);
      if (params.save != 0u) {
        let gateBase = params.gatesAt + row * 4u * H + j;
        result[gateBase] = inputGate;
        result[gateBase + H] = forgetGate;
        result[gateBase + 2u * H] = cellGate;
        result[gateBase + 3u * H] = outputGate;
        result[params.cellsAt + row * H + j] = cellState;
      }`;
    case 'gru':
      return `
      let resetGate = sigmoid(x[0] + acc[0]);
      let updateGate = sigmoid(x[1] + acc[1]);
      let candidate = tanhSafe(x[2] + resetGate * acc[2]);
      let next = candidate + updateGate * (${read('current + j')} - candidate);
      if (params.save != 0u) {
        let gateBase = params.gatesAt + row * 4u * H + j;
        result[gateBase] = resetGate;
        result[gateBase + H] = updateGate;
        result[gateBase + 2u * H] = candidate;
        result[gateBase + 3u * H] = acc[2];
      }`;
    case 'tanh':
      return '\n      let next = tanhSafe(x[0] + acc[0]);';
    case 'relu':
      return '\n      let next = max(x[0] + acc[0], 0.0);';
  }
}

/** The sweep kernel for one cell and hidden size. */
export function sweepSource(cell: RecurrentCell, size: number): string {
  const gates = gateCount(cell);
  const shared = size <= SHARED_STATE;
  const read = (index: string): string => (shared ? `state[${index}]` : `result[params.stateAt + b * 2u * H + ${index}]`);
  const barrier = shared ? 'workgroupBarrier();' : 'storageBarrier(); workgroupBarrier();';
  const lstm = cell === 'lstm';
  // Small H: P = ⌊256 / H⌋ threads share each unit's dot products (each sums H / P terms into
  // workgroup memory), then the unit's first thread adds them up and applies the cell.
  const parts = shared ? Math.min(8, Math.floor(THREADS / size)) : 1;
  const gather = `
      var x: array<f32, G>;
      for (var g = 0u; g < G; g++) {
        let k = g * H + j;
        x[g] = projected[projectedBase + k * params.pK];
        acc[g] = acc[g] + select(0.0, bias[params.bOffset + k * params.bK], params.hasBias != 0u);
      }`;
  const finish = `${cellUpdate(cell, read)}
      ${read('following + j')} = next;
      result[params.outputAt + row * H + j] = next;`;
  const whole = `    for (var j = thread; j < H; j += ${THREADS}u) {
      var acc = array<f32, G>(); // explicit: some compilers zero a loop-body var only once
      for (var i = 0u; i < H; i++) {
        let h = ${read('current + i')};
        let weightBase = i * G * H + j;
        for (var g = 0u; g < G; g++) { acc[g] = fma(h, weightT[weightBase + g * H], acc[g]); }
      }${gather}
      ${finish}
    }
    ${barrier}`;
  const chunk = Math.ceil(size / Math.max(1, parts));
  const split = `    let part = thread / H;
    if (part < ${parts}u) {
      let j = thread % H;
      var acc = array<f32, G>(); // explicit: some compilers zero a loop-body var only once
      for (var i = part * ${chunk}u; i < min(H, (part + 1u) * ${chunk}u); i++) {
        let h = state[current + i];
        let weightBase = i * G * H + j;
        for (var g = 0u; g < G; g++) { acc[g] = fma(h, weightT[weightBase + g * H], acc[g]); }
      }
      for (var g = 0u; g < G; g++) { partials[(part * G + g) * H + j] = acc[g]; }
    }
    workgroupBarrier();
    if (thread < H) {
      let j = thread;
      var acc = array<f32, G>(); // explicit: some compilers zero a loop-body var only once
      for (var p = 0u; p < ${parts}u; p++) {
        for (var g = 0u; g < G; g++) { acc[g] = acc[g] + partials[(p * G + g) * H + j]; }
      }${gather}
      ${finish}
    }
    workgroupBarrier();`;
  return /* wgsl */ `
struct Params {
  steps: u32, batch: u32, size: u32, reverse: u32,
  batchFirst: u32, hasBias: u32, save: u32, bK: u32,
  pOffset: u32, pT: u32, pB: u32, pK: u32,
  hOffset: u32, hB: u32, hJ: u32, bOffset: u32,
  cOffset: u32, cB: u32, cJ: u32, outputAt: u32,
  hiddenAt: u32, cellAt: u32, gatesAt: u32, cellsAt: u32,
  stateAt: u32,
}
@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> projected: array<f32>;
@group(0) @binding(2) var<storage, read> weightT: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read> initial: array<f32>;
@group(0) @binding(5) var<storage, read> lengths: array<u32>;
@group(0) @binding(6) var<storage, read_write> result: array<f32>;
${lstm ? '@group(0) @binding(7) var<storage, read> initialCell: array<f32>;' : ''}
const H = ${size}u;
const G = ${gates}u;
${shared ? `var<workgroup> state: array<f32, ${2 * size}>;` : ''}
${parts > 1 ? `var<workgroup> partials: array<f32, ${parts * gates * size}>;` : ''}
var<workgroup> sequenceLength: u32;

fn sigmoid(x: f32) -> f32 { return 1.0 / (1.0 + exp(-clamp(x, -80.0, 80.0))); }
// tanh(±15) is ±1 in f32; clamping keeps drivers that expand tanh through exp from overflowing.
fn tanhSafe(x: f32) -> f32 { return tanh(clamp(x, -15.0, 15.0)); }

@compute @workgroup_size(${THREADS})
fn main(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_index) thread: u32) {
  let b = group.x;
  for (var j = thread; j < H; j += ${THREADS}u) {
    ${read('j')} = initial[params.hOffset + b * params.hB + j * params.hJ];
    ${lstm ? 'result[params.cellAt + b * H + j] = initialCell[params.cOffset + b * params.cB + j * params.cJ];' : ''}
  }
  if (thread == 0u) { sequenceLength = min(lengths[b], params.steps); }
  ${shared ? '' : 'storageBarrier();'}
  let length = workgroupUniformLoad(&sequenceLength);
  for (var s = 0u; s < length; s++) {
    let t = select(s, length - 1u - s, params.reverse != 0u);
    let current = (s % 2u) * H;
    let following = H - current;
    let row = select(t * params.batch + b, b * params.steps + t, params.batchFirst != 0u);
    let projectedBase = params.pOffset + t * params.pT + b * params.pB;
${parts > 1 ? split : whole}
  }
  let last = (length % 2u) * H;
  for (var j = thread; j < H; j += ${THREADS}u) { result[params.hiddenAt + b * H + j] = ${read('last + j')}; }
}
`;
}

/** `weightT[i · GH + k] = W[k, i]`: W_hh [GH, H] transposed into a dense buffer. */
const transposeSource = /* wgsl */ `
struct Params { rows: u32, columns: u32, offset: u32, rowStride: u32, columnStride: u32 }
@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> weight: array<f32>;
@group(0) @binding(2) var<storage, read_write> weightT: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  let index = id.x + id.y * 65535u * 64u;
  if (index >= params.rows * params.columns) { return; }
  let column = index / params.rows;
  let row = index % params.rows;
  weightT[index] = weight[params.offset + row * params.rowStride + column * params.columnStride];
}
`;

/**
 * Records the transpose and the sweep, copies the packed results out, and returns them in the
 * order of `sizes` (output, hidden, then cell, gates, cells where present).
 */
export async function recurrentSubmit(runtime: WgslRuntime, cell: RecurrentCell, args: SweepArgs, values: (BufferResult | null)[], sizes: number[], save: boolean): Promise<(BufferResult | null)[]> {
  const [steps, batch, width] = args.projected.shape;
  const size = args.hidden.shape[1];
  const rows = steps * batch;
  const lstm = cell === 'lstm';
  const saved = save && (lstm || cell === 'gru');
  const [projected, weight, bias, initial, initialCell] = values;
  const outputs = sizes.map((count) => (count > 0 ? runtime.wrap(runtime.storage(count), count) : null));
  if (batch === 0 || size === 0) return outputs;
  // Packed result regions (floats): output, hidden, cell, gates, cells, device-memory state.
  const regions = { output: 0, hidden: rows * size, cell: rows * size + batch * size, gates: 0, cells: 0, state: 0 };
  let end = regions.cell + (lstm ? batch * size : 0);
  regions.gates = end;
  end += saved ? rows * 4 * size : 0;
  regions.cells = end;
  end += saved && lstm ? rows * size : 0;
  regions.state = end;
  end += size > SHARED_STATE ? 2 * batch * size : 0;
  const packed = runtime.storage(end);
  const weightT = runtime.storage(width * size);
  const lengths = runtime.upload(Uint32Array.from({ length: batch }, (_, index) => args.lengths?.[index] ?? steps));
  const transpose = new Uniforms().u32(width, size, args.weightHidden.offset, ...args.weightHidden.strides).build();
  const hidden = args.hidden;
  const cellView = args.cell;
  const uniforms = new Uniforms()
    .u32(steps, batch, size, args.reverse ? 1 : 0)
    .u32(args.batchFirst ? 1 : 0, args.biasHidden ? 1 : 0, saved ? 1 : 0, args.biasHidden?.strides[0] ?? 0)
    .u32(args.projected.offset, ...args.projected.strides)
    .u32(hidden.offset, ...hidden.strides, args.biasHidden?.offset ?? 0)
    .u32(cellView?.offset ?? 0, ...(cellView?.strides ?? [0, 0]), regions.output)
    .u32(regions.hidden, regions.cell, regions.gates, regions.cells, regions.state)
    .build();
  const sweepBindings = [projected ?? runtime.dummy, weightT, bias ?? runtime.dummy, initial ?? runtime.dummy, lengths, packed];
  if (lstm) sweepBindings.push(initialCell ?? runtime.dummy);
  const starts = [regions.output, regions.hidden, ...(lstm ? [regions.cell] : []), ...(saved ? [regions.gates] : []), ...(saved && lstm ? [regions.cells] : [])];
  const copies = outputs.flatMap((output, index) => (output ? [{ from: packed, fromOffset: starts[index] * 4, to: output.buffer, toOffset: 0, bytes: sizes[index] * 4 }] : []));
  await runtime.submit(
    [
      { source: transposeSource, bindings: [weight ?? runtime.dummy, weightT], uniforms: transpose, groups: spread(width * size, 64) },
      { source: sweepSource(cell, size), bindings: sweepBindings, uniforms, groups: [batch, 1, 1] },
    ],
    copies,
    [packed, weightT, lengths],
  );
  return outputs;
}
