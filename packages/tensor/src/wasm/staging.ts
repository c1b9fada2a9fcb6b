import type { DataArray, View } from '../backend.js';
import { readView } from '../cpu/strided.js';
import type { WasmRuntime } from './runtime.js';

/** A batch of matrices copied into wasm memory: element (b, i, j) at `address + 4 * (b * batchStride + i * rowStride + j * columnStride)`. */
export interface StagedMatrices {
  address: number;
  rowStride: number;
  columnStride: number;
  batchStride: number;
}

/**
 * Copies batches `[first, first + count)` of a [B, R, C] float32 view into the arena with one
 * bulk copy per batch where the view's storage allows (row-major or transposed matrices keep
 * their layout and come back as strides); other views are gathered first. A batch stride of 0
 * (broadcast) stages one matrix.
 */
export function stageMatrices(runtime: WasmRuntime, view: View<DataArray>, first: number, count: number): StagedMatrices {
  const [batches, rows, columns] = view.shape as [number, number, number];
  const [batchStride, rowStride, columnStride] = view.strides as [number, number, number];
  const size = rows * columns;
  const rowMajor = (columns === 1 || columnStride === 1) && (rows === 1 || rowStride === columns);
  const columnMajor = !rowMajor && (rows === 1 || rowStride === 1) && (columns === 1 || columnStride === rows);
  const shared = batchStride === 0 || batches === 1;
  const copies = shared ? 1 : count;
  const address = runtime.alloc(copies * size * 4);
  const target = runtime.f32;
  const base = address >> 2;
  if (!rowMajor && !columnMajor) {
    const dense = readView({ ...view, shape: [copies, rows, columns], strides: [shared ? 0 : batchStride, rowStride, columnStride], offset: view.offset + (shared ? 0 : first * batchStride) });
    target.set(dense, base);
    return { address, rowStride: columns, columnStride: 1, batchStride: shared ? 0 : size };
  }
  const source = view.handle as Float32Array;
  for (let batch = 0; batch < copies; batch++) {
    const start = view.offset + (shared ? 0 : (first + batch) * batchStride);
    target.set(source.subarray(start, start + size), base + batch * size);
  }
  return rowMajor
    ? { address, rowStride: columns, columnStride: 1, batchStride: shared ? 0 : size }
    : { address, rowStride: 1, columnStride: rows, batchStride: shared ? 0 : size };
}

/** Copies `count` elements of a contiguous float32 view, starting at element `start` of the view, into the arena. */
export function stageContiguous(runtime: WasmRuntime, data: Float32Array, start: number, count: number): number {
  const address = runtime.alloc(count * 4);
  runtime.f32.set(data.subarray(start, start + count), address >> 2);
  return address;
}
