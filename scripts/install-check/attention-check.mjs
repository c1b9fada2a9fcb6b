// What a user does after `npm install @heed/attention`: scaled dot-product attention (causal,
// also with more queries than keys, where the first rows see no key) and a MultiHeadAttention
// loaded from a PyTorch-style state dict, each checked against reference-math.mjs.
// Runs unchanged in Node and, bundled by esbuild, in the browser.
import { MultiHeadAttention, scaledDotProductAttention } from '@heed/attention';
import { tensor } from '@heed/tensor';
import { attention, compare, filled, multiHeadSelfAttention, numbers } from './reference-math.mjs';

export async function run() {
  const results = [];
  const next = numbers(9);

  for (const [L, S] of [
    [3, 5],
    [4, 2],
  ]) {
    const q = filled([2, 2, L, 4], next);
    const k = filled([2, 2, S, 4], next);
    const v = filled([2, 2, S, 3], next);
    const output = scaledDotProductAttention(tensor(q), tensor(k), tensor(v), { causal: true });
    results.push(compare(`scaledDotProductAttention causal, L=${L} S=${S}`, await output.data(), attention(q, k, v, true)));
  }

  const E = 6;
  const heads = 2;
  const parameters = {
    in_proj_weight: filled([3 * E, E], next),
    in_proj_bias: filled([3 * E], next),
    'out_proj.weight': filled([E, E], next),
    'out_proj.bias': filled([E], next),
  };
  const mha = new MultiHeadAttention(E, heads, { batchFirst: true });
  mha.loadStateDict(Object.fromEntries(Object.entries(parameters).map(([name, value]) => [name, tensor(value)])));
  const x = filled([2, 5, E], next);
  const { output } = mha.forward(tensor(x), tensor(x), tensor(x), { causal: true });
  results.push(compare('MultiHeadAttention (PyTorch state dict), causal self-attention', await output.data(), multiHeadSelfAttention(x, parameters, heads, true)));
  return results;
}
