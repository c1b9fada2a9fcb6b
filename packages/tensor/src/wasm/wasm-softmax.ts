import type { DataArray, View } from '../backend.js';
import { contiguousData } from '../cpu/strided.js';
import type { WasmRuntime } from './runtime.js';
import { SoftmaxArgs } from './softmax.js';
import { writeArgs } from './wasm-attention.js';
import { PARALLEL_WORK } from './wasm-matmul.js';

/** Elements per group staged at once (the arena holds input and output of a group). */
const GROUP_ELEMENTS = 1 << 22;

/**
 * Softmax or log-softmax over the last axis on the WebAssembly SIMD kernels (same contract as
 * the JS `softmaxKernel`), rows spread over the threads; large inputs run in groups of rows.
 */
export function wasmSoftmax(runtime: WasmRuntime, x: View<DataArray>, log: boolean): Float32Array {
  const data = contiguousData(x) as Float32Array;
  const size = data.length;
  const columns = x.shape.length === 0 ? 1 : x.shape[x.shape.length - 1];
  const out = new Float32Array(size);
  if (columns === 0 || size === 0) return out;
  const rows = size / columns;
  const groupRows = Math.max(1, Math.floor(GROUP_ELEMENTS / columns));
  for (let first = 0; first < rows; first += groupRows) {
    const count = Math.min(groupRows, rows - first);
    runtime.reset();
    const input = runtime.alloc(count * columns * 4);
    const output = runtime.alloc(count * columns * 4);
    runtime.f32.set(data.subarray(first * columns, (first + count) * columns), input >> 2);
    const parallel = runtime.pool.size > 1 && count * columns * 8 >= PARALLEL_WORK;
    const rowsPerChunk = parallel ? Math.max(1, Math.ceil(count / (runtime.pool.size * 4))) : count;
    const args = runtime.args();
    writeArgs(runtime, args, [
      [SoftmaxArgs.input, input], [SoftmaxArgs.output, output], [SoftmaxArgs.rows, count], [SoftmaxArgs.columns, columns],
      [SoftmaxArgs.rowsPerChunk, rowsPerChunk], [SoftmaxArgs.log, log ? 1 : 0],
    ]);
    runtime.run('softmaxChunk', args, Math.ceil(count / rowsPerChunk), parallel);
    out.set(runtime.f32.subarray(output >> 2, (output >> 2) + count * columns), first * columns);
  }
  return out;
}
