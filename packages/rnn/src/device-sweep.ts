// One direction of one recurrent layer on the backend's own fused sweep kernel, with tensors left
// on the device: the inference path of `recurrentSweep` on backends other than the CPU (the
// WebGPU backend of @heed/gpu runs each sweep as one dispatch). Gradients are not recorded here;
// a sweep that needs them takes the composed path.
import { Tensor, withBackend, zeros, type Backend, type FusedKernelName } from '@heed/tensor';
import type { SweepResult } from './packed-result.js';
import type { SweepInputs } from './sweep.js';

/** The fused kernel a mode runs on. */
function kernelOf(mode: SweepInputs['mode']): FusedKernelName {
  return mode === 'lstm' ? 'lstmSequence' : mode === 'gru' ? 'gruSequence' : 'rnnSequence';
}

/** Whether `backend` runs this sweep as one fused kernel. */
export function hasDeviceSweep(backend: Backend, mode: SweepInputs['mode']): boolean {
  return typeof backend.runFused === 'function' && (backend.supports?.(kernelOf(mode)) ?? false);
}

/**
 * Runs the sweep forward on `projected`'s backend with `lstmSequence` / `gruSequence` /
 * `rnnSequence` (time-major [T, B, G·H] views; batch-first data is a permuted view, no copy).
 */
export function deviceSweep(inputs: SweepInputs): SweepResult {
  const { mode, projected, h0, c0, weightHh, biasHh, batchFirst, reverse } = inputs;
  const backend = projected.backend;
  const [batch, size] = h0.shape;
  const steps = projected.shape[batchFirst ? 1 : 0];
  const common = {
    projected: (batchFirst ? projected.transpose(0, 1) : projected).view,
    weightHidden: weightHh.view,
    biasHidden: biasHh?.view ?? null,
    hidden: h0.view,
    lengths: inputs.lengths ? Array.from(inputs.lengths) : null,
    reverse,
    batchFirst,
  };
  const outputShape = batchFirst ? [batch, steps, size] : [steps, batch, size];
  const wrap = (handle: unknown, shape: number[]): Tensor => Tensor.fromHandle(backend, handle, shape, 'float32');
  if (mode === 'lstm') {
    const cell = c0 ?? withBackend(backend, () => zeros([batch, size]));
    const result = backend.runFused!('lstmSequence', { ...common, cell: cell.view, saveForBackward: false });
    return { output: wrap(result.output, outputShape), hN: wrap(result.hidden, [batch, size]), cN: wrap(result.cell, [batch, size]) };
  }
  if (mode === 'gru') {
    const result = backend.runFused!('gruSequence', { ...common, saveForBackward: false });
    return { output: wrap(result.output, outputShape), hN: wrap(result.hidden, [batch, size]), cN: null };
  }
  const result = backend.runFused!('rnnSequence', { ...common, nonlinearity: mode === 'rnn_relu' ? 'relu' : 'tanh' });
  return { output: wrap(result.output, outputShape), hN: wrap(result.hidden, [batch, size]), cN: null };
}
