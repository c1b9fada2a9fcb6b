import { Tensor } from '@heed/tensor';
import type { ReferenceAdapters, ReferenceValue } from '@heed/tensor/testing';
import { additiveScore, cosineScore, dotScore, generalScore, scaledDotScore } from '../src/index.js';

const one = (value: ReferenceValue | undefined, name: string): Tensor => {
  if (!(value instanceof Tensor)) throw new Error(`input ${name}: expected a single array`);
  return value;
};

/** Adapters for `@heed/scoring`: the `score` op, dispatching on `attrs.kind`. */
export const adapters: ReferenceAdapters = {
  score: (inputs, attrs) => {
    const query = one(inputs.q, 'q');
    const key = one(inputs.k, 'k');
    const kind = attrs.kind as string;
    switch (kind) {
      case 'dot':
        return { scores: dotScore(query, key) };
      case 'scaled_dot':
        return { scores: scaledDotScore(query, key) };
      case 'cosine':
        return { scores: cosineScore(query, key, { eps: (attrs.eps as number | undefined) ?? 1e-8 }) };
      case 'general':
        return { scores: generalScore(query, key, one(inputs.W, 'W')) };
      case 'additive':
        return {
          scores: additiveScore(query, key, { queryWeight: one(inputs.Wq, 'Wq'), keyWeight: one(inputs.Wk, 'Wk'), v: one(inputs.v, 'v') }),
        };
      default:
        throw new Error(`unknown score kind ${kind}`);
    }
  },
};
