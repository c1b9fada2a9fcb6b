import { Generator, SGD, ShapeError, ValueError, randn, rand, tensor, type Tensor } from '@heed/tensor';
import { assertAllclose } from '@heed/tensor/testing';
import { describe, expect, it } from 'vitest';
import { expectFinite, expectGradients } from '../test/plain-attention.js';
import { LocationAwareAttention, locationAwareAttention, locationFeatures, type LocationAwareParameters } from './index.js';

const generator = new Generator(23);
const r = (...shape: number[]): Tensor => randn(shape, { generator });
const alignmentOf = (batch: number, keys: number): Tensor => rand([batch, keys], { generator }).softmax(-1);

/** `nn.Conv1d(C, K, r, padding='same', bias=False)` written as loops, float64. */
function plainConvolution(alignment: Float32Array, filters: Float32Array, batch: number, channels: number, keys: number, count: number, width: number): number[] {
  const before = Math.floor((width - 1) / 2);
  const out: number[] = [];
  for (let b = 0; b < batch; b++) {
    for (let j = 0; j < keys; j++) {
      for (let k = 0; k < count; k++) {
        let total = 0;
        for (let c = 0; c < channels; c++) {
          for (let t = 0; t < width; t++) {
            const source = j + t - before;
            if (source >= 0 && source < keys) total += filters[(k * channels + c) * width + t] * alignment[(b * channels + c) * keys + source];
          }
        }
        out.push(total);
      }
    }
  }
  return out;
}

function parametersOf(queryDepth: number, keyDepth: number, hidden: number, count: number, channels: number, width: number): LocationAwareParameters {
  return { queryWeight: r(hidden, queryDepth), keyWeight: r(hidden, keyDepth), locationFilters: r(count, channels, width), locationWeight: r(hidden, count), v: r(hidden), bias: r(hidden) };
}

describe('locationFeatures', () => {
  it('equals a direct loop of a same-padded convolution, odd and even widths, one and two channels', () => {
    for (const [channels, width] of [[1, 5], [2, 3], [1, 4], [2, 1], [1, 9]] as const) {
      const alignment = r(2, channels, 6);
      const filters = r(3, channels, width);
      const expected = plainConvolution(alignment.dataSync() as Float32Array, filters.dataSync() as Float32Array, 2, channels, 6, 3, width);
      const out = locationFeatures(alignment, filters);
      expect(out.shape).toEqual([2, 6, 3]);
      assertAllclose(out, expected, { abs: 1e-5, rel: 1e-5 });
    }
  });

  it('is a cross-correlation (as nn.Conv1d): a one-hot alignment reads the filter reversed', () => {
    expect(Array.from(locationFeatures(tensor([[0, 1, 0, 0]]), tensor([[[1, 2, 3]]])).dataSync())).toEqual([3, 2, 1, 0]);
    // Even widths pad as PyTorch's padding='same' does: F.conv1d([[[0, 1, 0, 0, 0]]], [[[1, 2, 3, 4]]], padding='same') = [3, 2, 1, 0, 0].
    expect(Array.from(locationFeatures(tensor([[0, 1, 0, 0, 0]]), tensor([[[1, 2, 3, 4]]])).dataSync())).toEqual([3, 2, 1, 0, 0]);
  });

  it('rejects filters whose channels disagree with the alignment', () => {
    expect(() => locationFeatures(r(2, 1, 5), r(3, 2, 3))).toThrow(/argument filters: expected shape \[K, C = 1, r\], got \[3, 2, 3\]/);
  });
});

describe('locationAwareAttention', () => {
  /** The energies and weights, float64 loops from the paper's equations. */
  function plainEnergies(query: Tensor, key: Tensor, previous: Tensor, parameters: LocationAwareParameters): number[] {
    const [batch, keys, keyDepth] = key.shape as [number, number, number];
    const queryDepth = query.shape[1];
    const hidden = parameters.v.size;
    const [count, , width] = parameters.locationFilters.shape as [number, number, number];
    const features = plainConvolution(previous.dataSync() as Float32Array, parameters.locationFilters.dataSync() as Float32Array, batch, 1, keys, count, width);
    const [s, h, W, V, U, w, b] = [query, key, parameters.queryWeight, parameters.keyWeight, parameters.locationWeight, parameters.v, parameters.bias!].map((t) => t.dataSync());
    const energies: number[] = [];
    for (let n = 0; n < batch; n++) {
      for (let j = 0; j < keys; j++) {
        let energy = 0;
        for (let a = 0; a < hidden; a++) {
          let inner = b[a];
          for (let d = 0; d < queryDepth; d++) inner += W[a * queryDepth + d] * s[n * queryDepth + d];
          for (let d = 0; d < keyDepth; d++) inner += V[a * keyDepth + d] * h[(n * keys + j) * keyDepth + d];
          for (let k = 0; k < count; k++) inner += U[a * count + k] * features[(n * keys + j) * count + k];
          energy += w[a] * Math.tanh(inner);
        }
        energies.push(energy);
      }
    }
    return energies;
  }

  it('computes the paper\'s energies and a softmax over them; shapes [B, Dv] and [B, S]', () => {
    const parameters = parametersOf(5, 4, 6, 3, 1, 5);
    const [query, key, previous] = [r(2, 5), r(2, 7, 4), alignmentOf(2, 7)];
    const result = locationAwareAttention(query, key, previous, parameters);
    expect(result.context.shape).toEqual([2, 4]);
    expect(result.weights.shape).toEqual([2, 7]);
    const energies = plainEnergies(query, key, previous, parameters);
    assertAllclose(result.energies, energies, { abs: 1e-5, rel: 1e-4 });
    const weights = [0, 1].flatMap((n) => {
      const row = energies.slice(n * 7, n * 7 + 7).map(Math.exp);
      const total = row.reduce((x, y) => x + y, 0);
      return row.map((value) => value / total);
    });
    assertAllclose(result.weights, weights, { abs: 1e-6, rel: 1e-4 });
    assertAllclose(result.context, result.weights.unsqueeze(1).matmul(key).squeeze(1).dataSync(), { abs: 1e-6, rel: 1e-6 });
    // A [B, 1, Dq] decoder state is the same step.
    assertAllclose(locationAwareAttention(query.unsqueeze(1), key, previous, parameters).weights, result.weights.dataSync(), { abs: 0, rel: 0 });
  });

  it('gives masked keys zero weight, sums to 1 over the rest, and zeros (not NaN) for a fully masked row', () => {
    const parameters = parametersOf(3, 4, 5, 2, 1, 3);
    const mask = tensor([[true, true, false, true, false], [false, false, false, false, false]]);
    for (const normalization of ['softmax', 'sigmoid'] as const) {
      const { weights, context } = locationAwareAttention(r(2, 3), r(2, 5, 4), alignmentOf(2, 5), parameters, { mask, normalization });
      const values = weights.dataSync();
      expect([values[2], values[4]]).toEqual([0, 0]);
      expect(values[0] + values[1] + values[3]).toBeCloseTo(1, 6);
      expect(Array.from(values.slice(5))).toEqual([0, 0, 0, 0, 0]);
      expectFinite(context.dataSync());
    }
  });

  it('sharpens with β (softmax of β·e) and smooths with a normalised sigmoid', () => {
    const parameters = parametersOf(3, 4, 5, 2, 1, 3);
    const [query, key, previous] = [r(2, 3), r(2, 6, 4), alignmentOf(2, 6)];
    const plain = locationAwareAttention(query, key, previous, parameters);
    const sharp = locationAwareAttention(query, key, previous, parameters, { sharpening: 2.5 });
    assertAllclose(sharp.weights, plain.energies.mul(2.5).softmax(-1).dataSync(), { abs: 1e-6, rel: 1e-5 });
    const smooth = locationAwareAttention(query, key, previous, parameters, { normalization: 'sigmoid' });
    const gates = plain.energies.sigmoid();
    assertAllclose(smooth.weights, gates.div(gates.sum(-1, true)).dataSync(), { abs: 1e-6, rel: 1e-5 });
  });

  it('reads the cumulative alignment as a second channel and returns the running sum', () => {
    const parameters = parametersOf(3, 4, 5, 2, 2, 3);
    const [previous, cumulative] = [alignmentOf(1, 6), alignmentOf(1, 6).mul(2)];
    const result = locationAwareAttention(r(1, 3), r(1, 6, 4), previous, parameters, { cumulativeWeights: cumulative });
    assertAllclose(result.cumulativeWeights!, cumulative.add(result.weights).dataSync(), { abs: 1e-7, rel: 1e-6 });
    expect(() => locationAwareAttention(r(1, 3), r(1, 6, 4), previous, parameters)).toThrow(ValueError);
  });

  it('passes a gradient check with respect to every input and parameter (softmax, sigmoid, cumulative)', () => {
    const [query, key, previous] = [r(2, 3), r(2, 5, 4), alignmentOf(2, 5)];
    const mask = tensor([[true, true, true, false, true], [true, true, true, true, true]]);
    const p = parametersOf(3, 4, 4, 2, 1, 3);
    const run = (normalization: 'softmax' | 'sigmoid') => (q: Tensor, k: Tensor, a: Tensor, W: Tensor, V: Tensor, F: Tensor, U: Tensor, w: Tensor, b: Tensor) => {
      const out = locationAwareAttention(q, k, a, { queryWeight: W, keyWeight: V, locationFilters: F, locationWeight: U, v: w, bias: b }, { mask, normalization, sharpening: 1.5 });
      return out.context.sum(-1, true).add(out.weights.mul(out.weights));
    };
    const inputs = [query, key, previous, p.queryWeight, p.keyWeight, p.locationFilters, p.locationWeight, p.v, p.bias!];
    expectGradients(run('softmax'), inputs);
    expectGradients(run('sigmoid'), inputs);
    const two = parametersOf(3, 4, 4, 2, 2, 3);
    expectGradients(
      (a: Tensor, c: Tensor, F: Tensor) => locationAwareAttention(query, key, a, { ...two, locationFilters: F }, { cumulativeWeights: c }).context,
      [previous, alignmentOf(2, 5), two.locationFilters],
    );
  });

  it('names the argument and the shapes on bad input', () => {
    const parameters = parametersOf(3, 4, 5, 2, 1, 3);
    expect(() => locationAwareAttention(r(2, 3), r(2, 5, 4), alignmentOf(2, 6), parameters)).toThrow(/argument previousWeights: expected shape \[B, S\] = \[2, 5\], got \[2, 6\]/);
    expect(() => locationAwareAttention(r(2, 3), r(3, 5, 4), alignmentOf(2, 5), parameters)).toThrow(ShapeError);
    expect(() => locationAwareAttention(r(2, 2), r(2, 5, 4), alignmentOf(2, 5), parameters)).toThrow(/queryWeight/);
    expect(() => locationAwareAttention(r(2, 3), r(2, 5, 4), alignmentOf(2, 5), parameters, { mask: tensor([[true, false]]) })).toThrow(/mask/);
  });
});

describe('LocationAwareAttention module', () => {
  it('steps through a sequence from uniform initial weights, and learns to follow a diagonal', () => {
    const attention = new LocationAwareAttention(4, 3, { attentionDim: 6, filters: 3, kernelSize: 5, generator: new Generator(5) });
    expect(Object.keys(attention.stateDict())).toEqual(['queryWeight', 'keyWeight', 'locationFilters', 'locationWeight', 'v', 'bias']);
    expect(attention.locationFilters.shape).toEqual([3, 1, 5]);
    const key = r(1, 6, 3);
    const mask = tensor([[true, true, true, true, true, false]]);
    assertAllclose(attention.initialWeights(key, mask), [0.2, 0.2, 0.2, 0.2, 0.2, 0], { abs: 1e-7, rel: 1e-6 });
    // The decoder state carries no information: only the location features can move the focus one key per step.
    const states = Array.from({ length: 5 }, () => r(1, 4).mul(0));
    const optimizer = new SGD(attention.parameters(), { lr: 0.5 });
    const projectedKey = () => attention.projectKeys(key);
    const loss = (): Tensor => {
      let weights = tensor([[1, 0, 0, 0, 0, 0]]);
      let total: Tensor | null = null;
      const keys = projectedKey();
      for (let step = 1; step < 5; step++) {
        ({ weights } = attention.forward(states[step], key, weights, { mask, projectedKey: keys }));
        const picked = weights.slice(1, step, step + 1).add(1e-6).log().neg().sum();
        total = total ? total.add(picked) : picked;
      }
      return total!;
    };
    const before = loss().item();
    for (let iteration = 0; iteration < 60; iteration++) {
      optimizer.zeroGrad();
      loss().backward();
      optimizer.step();
    }
    expect(loss().item()).toBeLessThan(before * 0.3);
  });
});
