import { Tensor } from '@heed/tensor';
import type { ReferenceAdapter, ReferenceAdapters, ReferenceValue } from '@heed/tensor/testing';
import { recurrent, type RecurrentImplementation, type RecurrentMode } from '../src/index.js';

const one = (value: ReferenceValue | undefined): Tensor | null => (value instanceof Tensor ? value : null);

/**
 * Runs a PyTorch `nn.RNN`/`nn.LSTM`/`nn.GRU` case (batch first) through the functional
 * `recurrent`. An optional int32 input `lengths` [B] makes it a packed-sequence case; `weight_hr_l{k}`
 * parameters make it an LSTM with projections (`proj_size`).
 */
function adapter(mode: RecurrentMode, implementation: RecurrentImplementation): ReferenceAdapter {
  return (inputs, attrs) => {
    const parameters: Record<string, Tensor> = {};
    for (const [name, value] of Object.entries(inputs)) {
      if (/^(weight|bias)_(ih|hh|hr)_l\d+(_reverse)?$/.test(name) && value instanceof Tensor) parameters[name] = value;
    }
    const x = one(inputs.x);
    if (!x) throw new Error('the case has no input x');
    const result = recurrent(mode, x, parameters, {
      numLayers: attrs.num_layers as number,
      bidirectional: attrs.bidirectional as boolean,
      batchFirst: true,
      h0: one(inputs.h0),
      c0: one(inputs.c0),
      lengths: one(inputs.lengths),
      implementation,
    });
    return { output: result.output, h_n: result.hN, ...(result.cN ? { c_n: result.cN } : {}) };
  };
}

/** The adapters, running the recurrence with a chosen implementation (tests cover both). */
export function makeAdapters(implementation: RecurrentImplementation = 'auto'): ReferenceAdapters {
  return {
    rnn_tanh: adapter('rnn_tanh', implementation),
    lstm: adapter('lstm', implementation),
    gru: adapter('gru', implementation),
  };
}

/** Adapters for the recurrent ops `@heed/rnn` implements. */
export const adapters: ReferenceAdapters = makeAdapters();
