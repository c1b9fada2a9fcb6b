import { readFileSync } from 'node:fs';
import { HeedError, ShapeError, ValueError, tensor, type Tensor } from '@heed/tensor';
import { compareArrays, runReferenceDocuments, type ReferenceArray, type ReferenceCase, type ReferenceDocument } from '@heed/tensor/testing';
import { describe, expect, it } from 'vitest';
import { GRU, LSTM, RNN, Seq2Seq, padSequences, recurrent } from '../src/index.js';
import { makeAdapters } from './reference-adapters.js';
import { Generator, random } from './helpers.js';

// PyTorch's nn.LSTM(..., proj_size=P) (fixtures/generate-projections.py): outputs, final states and
// every gradient for 1 and 2 layers, one and two directions, without biases, and with lengths.
const document = JSON.parse(readFileSync(new URL('./fixtures/projections.json', import.meta.url), 'utf8')) as ReferenceDocument;
const cases = document.cases ?? [];
const tolerance = document.tolerance ?? { abs: 2e-4, rel: 2e-4 };

const toTensor = (array: ReferenceArray): Tensor =>
  array.dtype === 'int32' ? tensor(Int32Array.from(array.data.map(Number)), { dtype: 'int32', shape: array.shape }) : tensor(Float32Array.from(array.data.map(Number)), { shape: array.shape });

function expectMatches(label: string, got: Tensor | null | undefined, want: ReferenceArray): void {
  expect(got, `${label} is missing`).toBeTruthy();
  expect(got!.shape, `${label} shape`).toEqual(want.shape);
  const result = compareArrays(got!.dataSync(), want.data.map(Number), tolerance);
  expect(result.ok, `${label}: ${result.message}`).toBe(true);
}

/** An LSTM module built as PyTorch's from the case's attrs. */
function moduleOf(testCase: ReferenceCase): LSTM {
  const attrs = testCase.attrs as { input_size: number; hidden_size: number; proj_size: number; num_layers: number; bidirectional: boolean; bias: boolean };
  return new LSTM(attrs.input_size, attrs.hidden_size, { projSize: attrs.proj_size, numLayers: attrs.num_layers, bidirectional: attrs.bidirectional, bias: attrs.bias });
}

describe('LSTM projections (projSize) against PyTorch', () => {
  it('has fixture cases for 1 and 2 layers, one and two directions', () => {
    const shapes = cases.map((testCase) => `${String(testCase.attrs.num_layers)}/${String(testCase.attrs.bidirectional)}`);
    expect(new Set(shapes)).toEqual(new Set(['1/false', '1/true', '2/false', '2/true']));
  });

  // `host` is asked for and must fall back to the composed path (the fused kernels have no projection).
  describe.each(['host', 'composed'] as const)('recurrent() with the %s implementation requested', (implementation) => {
    const adapters = makeAdapters(implementation);
    it.each(cases.map((testCase) => [testCase.name, testCase] as const))('%s: outputs and gradients', (_name, testCase) => {
      const [result] = runReferenceDocuments([{ file: 'projections.json', document: { ...document, cases: [testCase] } }], adapters);
      expect(result.status, result.message).toBe('passed');
    });
  });

  it.each(cases.map((testCase) => [testCase.name, testCase] as const))('the LSTM module, %s: PyTorch state dict, outputs and gradients', (_name, testCase) => {
    const layer = moduleOf(testCase);
    // PyTorch's parameter names, order and shapes.
    expect(Object.keys(layer.stateDict())).toEqual(testCase.attrs.parameter_names);
    const inputs = testCase.inputs as Record<string, ReferenceArray>;
    for (const [name, value] of Object.entries(layer.stateDict())) expect(value.shape, name).toEqual(inputs[name].shape);
    layer.loadStateDict(Object.fromEntries(Object.keys(layer.stateDict()).map((name) => [name, toTensor(inputs[name])])));
    const x = toTensor(inputs.x).requiresGrad_();
    const h0 = toTensor(inputs.h0).requiresGrad_();
    const c0 = toTensor(inputs.c0).requiresGrad_();
    const { output, hN, cN } = layer.forward(x, { h0, c0, lengths: inputs.lengths ? toTensor(inputs.lengths) : null });
    const outputs = testCase.outputs as Record<string, ReferenceArray>;
    expectMatches('output', output, outputs.output);
    expectMatches('h_n', hN, outputs.h_n);
    expectMatches('c_n', cN, outputs.c_n);
    const seed = testCase.grad!.seed;
    output.mul(toTensor(seed.output)).sum().add(hN.mul(toTensor(seed.h_n)).sum()).add(cN.mul(toTensor(seed.c_n)).sum()).backward();
    const grads = testCase.grad!.inputs;
    expectMatches('d x', x.grad, grads.x);
    expectMatches('d h0', h0.grad, grads.h0);
    expectMatches('d c0', c0.grad, grads.c0);
    for (const [name, parameter] of Object.entries(layer.stateDict())) expectMatches(`d ${name}`, parameter.grad, grads[name]);
  });
});

describe('LSTM projections (projSize)', () => {
  it("gives PyTorch's shapes: weight_hr [P, H], weight_hh [4H, P], output dirs·P, hN P, cN H", () => {
    const lstm = new LSTM(3, 6, { projSize: 2, numLayers: 2, bidirectional: true, generator: new Generator(60) });
    expect(lstm.projSize).toBe(2);
    expect(lstm.outputSize).toBe(2);
    expect(lstm.parameter('weight_hr_l1_reverse').shape).toEqual([2, 6]);
    expect(lstm.parameter('weight_hh_l0').shape).toEqual([24, 2]);
    expect(lstm.parameter('weight_ih_l1').shape).toEqual([24, 4]);
    const { output, hN, cN } = lstm.forward(random([5, 7, 3], new Generator(61)));
    expect(output.shape).toEqual([5, 7, 4]);
    expect(hN.shape).toEqual([4, 5, 2]);
    expect(cN.shape).toEqual([4, 5, 6]);
    // Unbatched [T, I] and time-major input work too.
    const single = lstm.forward(random([7, 3], new Generator(62)));
    expect(single.output.shape).toEqual([7, 4]);
    expect(single.hN.shape).toEqual([4, 2]);
    expect(new LSTM(3, 6, { projSize: 2, batchFirst: false }).forward(random([7, 5, 3], new Generator(63))).output.shape).toEqual([7, 5, 2]);
  });

  it('validates projSize as PyTorch does: an integer with 0 ≤ projSize < hiddenSize, LSTM only', () => {
    expect(new LSTM(3, 4, { projSize: 0 }).parameter('weight_hh_l0').shape).toEqual([16, 4]);
    expect(() => new LSTM(3, 4, { projSize: 4 })).toThrowError(ValueError);
    expect(() => new LSTM(3, 4, { projSize: 4 })).toThrowError(/projSize: must be smaller than hiddenSize \(4\), got 4/);
    expect(() => new LSTM(3, 4, { projSize: -1 })).toThrowError(/projSize: must be a non-negative integer/);
    expect(() => new LSTM(3, 4, { projSize: 1.5 })).toThrowError(/projSize: must be a non-negative integer/);
    // RNN and GRU have no projections; JavaScript callers that pass one anyway get an error, not silence.
    expect(() => new GRU(3, 4, { projSize: 2 } as object)).toThrowError(/only supported for LSTM/);
    expect(() => new RNN(3, 4, { projSize: 2 } as object)).toThrowError(/only supported for LSTM/);
  });

  it('names the projected shapes in state and parameter errors', () => {
    const lstm = new LSTM(3, 4, { projSize: 2 });
    expect(() => lstm.forward(random([2, 5, 3], new Generator(64)), { h0: random([1, 2, 4], new Generator(65)) })).toThrowError(
      /h0: expected shape \[1, 2, 2\] \(\[layers·dirs, B, projSize\]\)/,
    );
    expect(() => lstm.forward(random([2, 5, 3], new Generator(66)), { c0: random([1, 2, 2], new Generator(67)) })).toThrowError(ShapeError);
    const parameters = { ...lstm.stateDict(), weight_hr_l0: random([4, 4], new Generator(68)) };
    expect(() => recurrent('lstm', random([2, 5, 3], new Generator(69)), parameters)).toThrowError(/weight_hr_l0: expected shape \[P, H\] with 1 ≤ P < H/);
    const gru = new GRU(3, 4).stateDict();
    expect(() => recurrent('gru', random([2, 5, 3], new Generator(70)), { ...gru, weight_hr_l0: random([2, 4], new Generator(71)) })).toThrowError(HeedError);
  });

  it('serves as a Seq2Seq encoder (memory depth dirs·projSize)', () => {
    const generator = new Generator(72);
    const encoder = new LSTM(6, 8, { projSize: 3, bidirectional: true, generator });
    const model = new Seq2Seq({ sourceVocabSize: 9, targetVocabSize: 7, embeddingDim: 6, hiddenSize: 8, encoder, generator });
    const { logits } = model.forward(padSequences([[3, 4, 5], [6, 2]]), padSequences([[3, 2], [4, 2]]));
    expect(logits.shape).toEqual([2, 2, 7]);
    logits.sum().backward();
    expect(encoder.parameter('weight_hr_l0_reverse').grad).not.toBeNull();
  });
});
