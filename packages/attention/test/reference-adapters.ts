import { Tensor } from '@heed/tensor';
import type { ReferenceAdapters, ReferenceValue } from '@heed/tensor/testing';
import { multiHeadAttentionForward, scaledDotProductAttention } from '../src/index.js';

const one = (value: ReferenceValue | undefined, name: string): Tensor => {
  if (!(value instanceof Tensor)) throw new Error(`input ${name}: expected a single array`);
  return value;
};
const optional = (value: ReferenceValue | undefined, name: string): Tensor | null => (value === undefined ? null : one(value, name));

/** Adapters for `@heed/attention`: `sdpa` and `mha`. */
export const adapters: ReferenceAdapters = {
  sdpa: (inputs, attrs) => {
    const { output, weights } = scaledDotProductAttention(one(inputs.q, 'q'), one(inputs.k, 'k'), one(inputs.v, 'v'), {
      mask: optional(inputs.keep, 'keep'),
      causal: attrs.causal === true,
      scale: (attrs.scale as number | null | undefined) ?? null,
      returnWeights: true,
    });
    return { out: output, weights };
  },
  mha: (inputs, attrs) => {
    const query = one(inputs.query, 'query');
    const self = attrs.self === true;
    const key = self ? query : one(inputs.key, 'key');
    const value = self ? query : one(inputs.value, 'value');
    const parameters = {
      inProjWeight: one(inputs.in_proj_weight, 'in_proj_weight'),
      inProjBias: one(inputs.in_proj_bias, 'in_proj_bias'),
      outProjWeight: one(inputs.out_proj_weight, 'out_proj_weight'),
      outProjBias: one(inputs.out_proj_bias, 'out_proj_bias'),
    };
    // keep_keys is true = real token; PyTorch's key_padding_mask (heed's keyPaddingMask) is true = padding.
    const options = { keyPaddingMask: optional(inputs.keep_keys, 'keep_keys')?.logicalNot() ?? null, causal: attrs.causal === true };
    const numHeads = attrs.num_heads as number;
    const averaged = multiHeadAttentionForward(query, key, value, numHeads, parameters, options);
    const perHead = multiHeadAttentionForward(query, key, value, numHeads, parameters, { ...options, averageAttnWeights: false });
    return { out: averaged.output, weights: averaged.weights!, weights_per_head: perHead.weights! };
  },
};
