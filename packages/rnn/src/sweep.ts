import { isGradEnabled, record, type Tensor } from '@heed/tensor';
import { composedSweep } from './composed-sweep.js';
import { deviceSweep, hasDeviceSweep } from './device-sweep.js';
import { fromHost, readHost } from './host-data.js';
import { hostBackend } from './host-kernels.js';
import { fusedSweepForward, hostSweepBackward, hostSweepForward, type HostSweepProblem } from './host-sweep.js';
import { unpack, type SweepResult } from './packed-result.js';
import type { RecurrentMode } from './recurrent-step.js';

/**
 * How a layer runs its recurrence. `host`: one op per layer and direction over Float32Arrays,
 * forward on the backend's fused `lstmSequence`/`gruSequence`/`rnnSequence` kernel when it has one (plain loops
 * otherwise), with a hand-written backward through time (zero-copy on the CPU backend, and usable
 * on any backend that reads synchronously). `composed`: tensor ops per step, on any backend.
 * `auto` (the default): `host` on the CPU backend; elsewhere, when no gradient is recorded and the
 * backend has the fused sweep kernel (such as @heed/gpu's WebGPU mode), that kernel on the
 * device (one dispatch per layer and direction); `composed` otherwise. An LSTM with a projection
 * (`projSize`) always runs `composed`: the fused kernels have no projection.
 */
export type RecurrentImplementation = 'auto' | 'host' | 'composed';

/** The inputs of one direction of one layer. */
export interface SweepInputs {
  mode: RecurrentMode;
  /** `x · weight_ihᵀ` (plus `bias_ih` unless it is folded into `biasHh`): [T, B, G·H], or [B, T, G·H] when `batchFirst`. */
  projected: Tensor;
  /** [B, H] each; `c0` only for LSTMs. */
  h0: Tensor;
  c0: Tensor | null;
  /** [G·H, H] and [G·H] (or null); outside GRU `biasHh` may be `bias_ih + bias_hh`. With an LSTM projection `weightHh` is [4H, P]. */
  weightHh: Tensor;
  biasHh: Tensor | null;
  /** An LSTM's projection `weight_hr` [P, H] (`h_t = W_hr (o_t ⊙ tanh(c_t))`, so `h0` is [B, P]), or null. */
  weightHr: Tensor | null;
  batchFirst: boolean;
  reverse: boolean;
  /** Per-sequence lengths, already checked to lie in [1, T], or null. */
  lengths: Int32Array | null;
  implementation: RecurrentImplementation;
}


/**
 * Runs one direction of one recurrent layer over whole sequences as a single autograd op. The
 * op's result is one packed tensor (outputs, then `hN`, then `cN`) of which the returned tensors
 * are views, so its gradient rule sees all three gradients at once and runs backpropagation
 * through time in one pass.
 */
export function recurrentSweep(inputs: SweepInputs): SweepResult {
  if (inputs.weightHr) return composedSweep(inputs);
  const backend = inputs.projected.backend;
  if (inputs.implementation === 'auto' && backend.name !== 'cpu' && hasDeviceSweep(backend, inputs.mode)) {
    const differentiable = [inputs.projected, inputs.h0, inputs.c0, inputs.weightHh, inputs.biasHh];
    if (!(isGradEnabled() && differentiable.some((tensor) => tensor?.requiresGrad))) return deviceSweep(inputs);
  }
  const implementation = inputs.implementation === 'auto' ? (backend.name === 'cpu' ? 'host' : 'composed') : inputs.implementation;
  return implementation === 'host' ? hostSweep(inputs) : composedSweep(inputs);
}

function hostSweep(inputs: SweepInputs): SweepResult {
  const { mode, projected, h0, c0, weightHh, biasHh } = inputs;
  const [batch, size] = h0.shape;
  const steps = projected.shape[inputs.batchFirst ? 1 : 0];
  const lstm = mode === 'lstm';
  const backend = projected.backend;
  const problem: HostSweepProblem = {
    backend: hostBackend(backend),
    mode,
    steps,
    batch,
    hidden: size,
    batchFirst: inputs.batchFirst,
    reverse: inputs.reverse,
    lengths: inputs.lengths,
    projected: readHost(projected),
    h0: readHost(h0),
    c0: c0 ? readHost(c0) : null,
    weightHh: readHost(weightHh),
    biasHh: biasHh ? readHost(biasHh) : null,
  };
  const differentiable = [projected, h0, ...(c0 ? [c0] : []), weightHh, ...(biasHh ? [biasHh] : [])];
  const recording = isGradEnabled() && differentiable.some((tensor) => tensor.requiresGrad);
  const outputSize = steps * batch * size;
  const stateSize = batch * size;
  const packed = new Float32Array(outputSize + (lstm ? 2 : 1) * stateSize);
  const state = fusedSweepForward(problem, recording) ?? hostSweepForward(problem, recording);
  packed.set(state.output, 0);
  packed.set(state.hN, outputSize);
  if (state.cN) packed.set(state.cN, outputSize + stateSize);
  const outputShape = inputs.batchFirst ? [batch, steps, size] : [steps, batch, size];
  const result = fromHost(packed, [packed.length], backend);
  if (recording) {
    record(mode, result, differentiable, (grad) => {
      const gradData = readHost(grad);
      const needWeights = weightHh.requiresGrad || (biasHh?.requiresGrad ?? false);
      const grads = hostSweepBackward(
        problem,
        state,
        gradData.subarray(0, outputSize),
        gradData.subarray(outputSize, outputSize + stateSize),
        lstm ? gradData.subarray(outputSize + stateSize) : null,
        needWeights,
      );
      const out: (Tensor | null)[] = [
        projected.requiresGrad ? fromHost(grads.projected, projected.shape, grad.backend) : null,
        h0.requiresGrad ? fromHost(grads.h0, h0.shape, grad.backend) : null,
      ];
      if (c0) out.push(c0.requiresGrad && grads.c0 ? fromHost(grads.c0, c0.shape, grad.backend) : null);
      out.push(weightHh.requiresGrad && grads.weightHh ? fromHost(grads.weightHh, weightHh.shape, grad.backend) : null);
      if (biasHh) out.push(biasHh.requiresGrad && grads.biasHh ? fromHost(grads.biasHh, biasHh.shape, grad.backend) : null);
      return out;
    });
  }
  return unpack(result, outputShape, batch, size, lstm ? size : null);
}
