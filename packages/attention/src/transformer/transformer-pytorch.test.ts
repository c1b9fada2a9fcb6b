// PyTorch's nn.TransformerEncoderLayer, TransformerEncoder, TransformerDecoderLayer and
// nn.Transformer, saved with safetensors under their own names, load through loadSafetensors +
// loadStateDict (strict, no renaming) and give PyTorch's outputs and input gradients.
// The fixtures and their generator live in packages/attention/test/fixtures/transformer/.
import { LayerNorm, loadSafetensors, type Module, type Tensor } from '@heed/tensor';
import { compareArrays } from '@heed/tensor/testing';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Transformer, TransformerDecoderLayer, TransformerEncoder, TransformerEncoderLayer, type TransformerLayerOptions } from '../index.js';

const folder = fileURLToPath(new URL('../../test/fixtures/transformer/', import.meta.url));

interface FixtureCase {
  name: string;
  kind: 'TransformerEncoderLayer' | 'TransformerEncoder' | 'TransformerDecoderLayer' | 'Transformer';
  config: TransformerLayerOptions & { dModel: number; nhead: number; numLayers?: number; norm?: boolean; numEncoderLayers?: number; numDecoderLayers?: number };
  /** heed option name → tensor name in the io file (or `true` for flags). */
  call: Record<string, string | boolean>;
}

const document = JSON.parse(readFileSync(`${folder}cases.json`, 'utf8')) as { tolerance: { abs: number; rel: number }; cases: FixtureCase[] };
const read = (name: string): Record<string, Tensor> => loadSafetensors(new Uint8Array(readFileSync(`${folder}${name}`)));

function build(testCase: FixtureCase): Module {
  const { dModel, nhead, numLayers, norm, numEncoderLayers, numDecoderLayers, ...layer } = testCase.config;
  const options: TransformerLayerOptions = { ...layer, dropout: 0 };
  switch (testCase.kind) {
    case 'TransformerEncoderLayer':
      return new TransformerEncoderLayer(dModel, nhead, options);
    case 'TransformerEncoder':
      return new TransformerEncoder(new TransformerEncoderLayer(dModel, nhead, options), numLayers!, norm ? { norm: new LayerNorm(dModel) } : {});
    case 'TransformerDecoderLayer':
      return new TransformerDecoderLayer(dModel, nhead, options);
    case 'Transformer':
      return new Transformer({ dModel, nhead, numEncoderLayers: numEncoderLayers!, numDecoderLayers: numDecoderLayers!, ...options });
  }
}

/** Runs the module on the io file's inputs with the given call options. */
function run(module: Module, kind: FixtureCase['kind'], inputs: Record<string, Tensor>, options: Record<string, unknown>): Tensor {
  switch (kind) {
    case 'TransformerEncoderLayer':
      return (module as TransformerEncoderLayer).forward(inputs.src, options);
    case 'TransformerEncoder':
      return (module as TransformerEncoder).forward(inputs.src, options);
    case 'TransformerDecoderLayer':
      return (module as TransformerDecoderLayer).forward(inputs.tgt, inputs.memory, options);
    case 'Transformer':
      return (module as Transformer).forward(inputs.src, inputs.tgt, options);
  }
}

/** The call as PyTorch made it, and, where it passed a causal mask, the same call with `isCausal` instead of the mask. */
function variants(call: FixtureCase['call'], inputs: Record<string, Tensor>): [string, Record<string, unknown>][] {
  const tensors = Object.entries(call).filter((entry): entry is [string, string] => typeof entry[1] === 'string');
  const asCalled = Object.fromEntries(tensors.map(([option, name]) => [option, inputs[name]]));
  if (call.isCausal !== true) return [['as PyTorch called it', asCalled]];
  const maskOption = 'srcMask' in asCalled ? 'srcMask' : 'mask';
  const { [maskOption]: _causalMask, ...rest } = asCalled;
  return [
    ['as PyTorch called it', asCalled],
    ['with isCausal instead of the causal mask', { ...rest, isCausal: true }],
  ];
}

describe('Transformer layers load PyTorch state dicts and match PyTorch', () => {
  expect(document.cases.length).toBeGreaterThan(0);
  for (const testCase of document.cases) {
    it(`${testCase.kind}: ${testCase.name}`, () => {
      const module = build(testCase).eval();
      const state = read(`${testCase.name}.safetensors`);
      const { missing, unexpected } = module.loadStateDict(state); // strict: PyTorch's names, unchanged
      expect([missing, unexpected]).toEqual([[], []]);
      const io = read(`${testCase.name}.io.safetensors`);
      const inputs = Object.fromEntries(Object.entries(io).filter(([name]) => name.startsWith('input.')).map(([name, value]) => [name.slice(6), value]));
      for (const [label, options] of variants(testCase.call, inputs)) {
        const differentiable = ['src', 'tgt'].filter((name) => `grad.${name}` in io);
        for (const name of differentiable) inputs[name] = inputs[name].detach().requiresGrad_();
        const output = run(module, testCase.kind, inputs, options);
        const comparison = compareArrays(output.dataSync(), io.output.dataSync(), document.tolerance);
        expect(comparison.ok, `${label}: output ${comparison.message}`).toBe(true);
        output.sum().backward();
        for (const name of differentiable) {
          const gradient = compareArrays(inputs[name].grad!.dataSync(), io[`grad.${name}`].dataSync(), { abs: 1e-4, rel: 1e-4 });
          expect(gradient.ok, `${label}: d output / d ${name} ${gradient.message}`).toBe(true);
        }
      }
    });
  }
});
