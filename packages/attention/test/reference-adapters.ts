import { Tensor } from '@heed/tensor';
import type { ReferenceAdapters, ReferenceValue } from '@heed/tensor/testing';
import { scaledDotProductAttention } from '../src/index.js';

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
};
