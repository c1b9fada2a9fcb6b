// What a user does after `npm install @heed/rnn`: an LSTM loaded from a PyTorch-style state dict
// (gates i, f, g, o), run over a batch, checked against reference-math.mjs: every step's output
// and the final hidden and cell states. Runs unchanged in Node and, bundled, in the browser.
import { LSTM } from '@heed/rnn';
import { tensor } from '@heed/tensor';
import { compare, filled, lstm, numbers } from './reference-math.mjs';

export async function run() {
  const next = numbers(4);
  const [T, B, I, H] = [6, 3, 4, 5];
  const parameters = {
    weight_ih_l0: filled([4 * H, I], next),
    weight_hh_l0: filled([4 * H, H], next),
    bias_ih_l0: filled([4 * H], next),
    bias_hh_l0: filled([4 * H], next),
  };
  const layer = new LSTM(I, H, { batchFirst: false }); // reference-math.mjs is time-major [T, B, I]
  layer.loadStateDict(Object.fromEntries(Object.entries(parameters).map(([name, value]) => [name, tensor(value)])));
  const input = filled([T, B, I], next);
  const { output, hN, cN } = layer.forward(tensor(input));
  const expected = lstm(input, parameters);
  return [
    compare('LSTM output [T, B, H] (PyTorch state dict)', await output.data(), expected.output),
    compare('LSTM final hidden state hN', await hN.data(), expected.hN),
    compare('LSTM final cell state cN', await cN.data(), expected.cN),
  ];
}
