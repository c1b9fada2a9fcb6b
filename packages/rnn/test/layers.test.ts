import { HeedError, concat, getBackend, loadSafetensors, noGrad, saveSafetensors, withBackend, type Backend, type Tensor } from '@heed/tensor';
import { gradcheck } from '@heed/tensor/testing';
import { describe, expect, it } from 'vitest';
import { GRU, LSTM, RNN, recurrent, type RNNBase, type RecurrentMode, type RecurrentResult } from '../src/index.js';
import { scalarRecurrent } from './scalar-reference.js';
import { Generator, expectClose, nestedParameters, random } from './helpers.js';

const modes: RecurrentMode[] = ['rnn_tanh', 'rnn_relu', 'lstm', 'gru'];

function makeLayer(mode: RecurrentMode, inputSize: number, hiddenSize: number, options: ConstructorParameters<typeof LSTM>[2] = {}): RNNBase {
  if (mode === 'lstm') return new LSTM(inputSize, hiddenSize, options);
  if (mode === 'gru') return new GRU(inputSize, hiddenSize, options);
  return new RNN(inputSize, hiddenSize, { ...options, nonlinearity: mode === 'rnn_relu' ? 'relu' : 'tanh' });
}

function run(layer: RNNBase, x: Tensor, options: { h0?: Tensor; c0?: Tensor; lengths?: number[] } = {}): RecurrentResult {
  if (layer instanceof LSTM) return layer.forward(x, options);
  return (layer as GRU).forward(x, { h0: options.h0 ?? null, lengths: options.lengths ?? null });
}

/** A scalar loss over every result, so all three outputs carry gradient. */
function lossOf(result: RecurrentResult, generator: Generator): Tensor {
  let loss = result.output.mul(random([...result.output.shape], generator)).sum().add(result.hN.mul(random([...result.hN.shape], generator)).sum());
  if (result.cN) loss = loss.add(result.cN.mul(random([...result.cN.shape], generator)).sum());
  return loss;
}

describe.each(modes)('%s layers', (mode) => {
  it('match the scalar reference: 2 layers, bidirectional, initial states, unsorted lengths', () => {
    const generator = new Generator(10);
    const layer = makeLayer(mode, 3, 4, { numLayers: 2, bidirectional: true, batchFirst: true, generator });
    const x = random([3, 6, 3], generator);
    const h0 = random([4, 3, 4], generator, 0.5);
    const c0 = random([4, 3, 4], generator, 0.5);
    const lengths = [4, 6, 1];
    const result = run(layer, x, { h0, c0, lengths });
    const want = scalarRecurrent(mode, x.toArray() as number[][][], nestedParameters(layer.stateDict()), {
      numLayers: 2,
      bidirectional: true,
      hidden: 4,
      h0: h0.toArray() as number[][][],
      c0: c0.toArray() as number[][][],
      lengths,
    });
    expect(result.output.shape).toEqual([3, 6, 8]);
    expectClose(result.output, want.output);
    expectClose(result.hN, want.hN);
    if (mode === 'lstm') expectClose(result.cN!, want.cN);
    else expect(result.cN).toBeNull();
  });

  it('give the same outputs and gradients with the host and composed implementations', () => {
    for (const batchFirst of [false, true]) {
      const generator = new Generator(11);
      const layer = makeLayer(mode, 3, 5, { numLayers: 2, bidirectional: true, batchFirst, generator });
      const x = random(batchFirst ? [3, 7, 3] : [7, 3, 3], generator).requiresGrad_();
      const h0 = random([4, 3, 5], generator, 0.5).requiresGrad_();
      const c0 = random([4, 3, 5], generator, 0.5).requiresGrad_();
      const grads = (['host', 'composed'] as const).map((implementation) => {
        layer.implementation = implementation;
        for (const leaf of [x, h0, c0, ...layer.parameters()]) leaf.zeroGrad();
        const result = run(layer, x, { h0, c0, lengths: [7, 2, 5] });
        lossOf(result, new Generator(12)).backward();
        return { result, grads: [x, h0, ...(mode === 'lstm' ? [c0] : []), ...layer.parameters()].map((leaf) => leaf.grad!) };
      });
      const [host, composed] = grads;
      expectClose(host.result.output, composed.result.output);
      expectClose(host.result.hN, composed.result.hN);
      host.grads.forEach((grad, index) => expectClose(grad, composed.grads[index], 1e-4));
    }
  });

  it("give the same numbers with and without the backend's fused sequence kernels", () => {
    // The CPU backend runs LSTM and GRU sweeps on its lstmSequence/gruSequence kernels; without
    // them (a backend that does not offer them), the host sweep runs its own loops.
    const plain: Backend = { ...getBackend(), supports: () => false };
    const runs = [getBackend(), plain].map((backend) =>
      withBackend(backend, () => {
        const generator = new Generator(14);
        const layer = makeLayer(mode, 3, 5, { numLayers: 2, bidirectional: true, batchFirst: true, generator });
        const x = random([3, 6, 3], generator).requiresGrad_();
        const h0 = random([4, 3, 5], generator, 0.5);
        const c0 = random([4, 3, 5], generator, 0.5);
        const result = run(layer, x, { h0, c0, lengths: [6, 1, 4] });
        lossOf(result, new Generator(15)).backward();
        return { result, grads: [x, ...layer.parameters()].map((leaf) => leaf.grad!) };
      }),
    );
    expectClose(runs[0].result.output, runs[1].result.output);
    expectClose(runs[0].result.hN, runs[1].result.hN);
    runs[0].grads.forEach((grad, index) => expectClose(grad, runs[1].grads[index], 1e-4));
  });

  it("run inference on a non-CPU backend's fused sweep kernel, on the device, and train through the composed path", () => {
    // A backend that is not the CPU backend but offers the fused sweeps (as @heed/gpu's WebGPU
    // mode does): under noGrad each layer and direction is one runFused call on its views.
    const cpu = getBackend();
    const kernel = mode === 'lstm' ? 'lstmSequence' : mode === 'gru' ? 'gruSequence' : 'rnnSequence';
    const calls: string[] = [];
    const device: Backend = {
      ...cpu,
      name: 'fused-device',
      runFused: (name, args) => {
        calls.push(name);
        return cpu.runFused!(name, args);
      },
    };
    const build = (backend: Backend, grad: boolean) =>
      withBackend(backend, () => {
        const generator = new Generator(16);
        const layer = makeLayer(mode, 3, 5, { numLayers: 2, bidirectional: true, batchFirst: true, generator });
        const x = random([3, 6, 3], generator);
        const h0 = random([4, 3, 5], generator, 0.5);
        const c0 = random([4, 3, 5], generator, 0.5);
        return grad ? run(layer, x, { h0, c0, lengths: [6, 1, 4] }) : noGrad(() => run(layer, x, { h0, c0, lengths: [6, 1, 4] }));
      });
    const want = build(cpu, false);
    calls.length = 0;
    const got = build(device, false);
    expect(calls.filter((name) => name === kernel)).toHaveLength(4);
    expectClose(got.output, want.output);
    expectClose(got.hN, want.hN);
    if (mode === 'lstm') expectClose(got.cN!, want.cN!);
    calls.length = 0;
    const trained = build(device, true);
    expect(calls.filter((name) => name === kernel)).toHaveLength(0);
    expectClose(trained.output, want.output);
  });

  it('have gradients that match finite differences', () => {
    // Two bidirectional layers with the host implementation; one layer with the composed one
    // (which the test above also compares with the host one on a larger case).
    for (const [implementation, numLayers, bidirectional] of [['host', 2, true], ['composed', 1, false]] as const) {
      const generator = new Generator(13);
      const layer = makeLayer(mode, 2, 3, { numLayers, bidirectional, batchFirst: true, generator });
      const names = Object.keys(layer.stateDict());
      const states = numLayers * (bidirectional ? 2 : 1);
      const x = random([2, 4, 2], generator);
      const h0 = random([states, 2, 3], generator, 0.5);
      const c0 = random([states, 2, 3], generator, 0.5);
      const fn = (input: Tensor, h: Tensor, c: Tensor, ...weights: Tensor[]): Tensor => {
        const parameters = Object.fromEntries(names.map((name, index) => [name, weights[index]]));
        const options = { numLayers, bidirectional, batchFirst: true, h0: h, c0: mode === 'lstm' ? c : null, lengths: [4, 3], implementation };
        const result = recurrent(mode, input, parameters, options);
        return concat([result.output.reshape([-1]), result.hN.reshape([-1]), ...(result.cN ? [result.cN.reshape([-1])] : [])]);
      };
      const check = gradcheck(fn, [x, h0, c0, ...names.map((name) => layer.stateDict()[name].detach())]);
      expect(check.ok, `${implementation}: ${check.message}`).toBe(true);
    }
  }, 20_000);
});

describe('recurrent layers', () => {
  it("use PyTorch's parameter names, order and shapes, initialised U(±1/√H)", () => {
    const lstm = new LSTM(3, 4, { numLayers: 2, bidirectional: true });
    const shapes = Object.entries(lstm.stateDict()).map(([name, value]) => `${name} ${value.shape.join('x')}`);
    // Printed by torch: [f'{n} {"x".join(map(str, p.shape))}' for n, p in nn.LSTM(3, 4, 2, bidirectional=True).named_parameters()]
    expect(shapes).toEqual([
      'weight_ih_l0 16x3', 'weight_hh_l0 16x4', 'bias_ih_l0 16', 'bias_hh_l0 16',
      'weight_ih_l0_reverse 16x3', 'weight_hh_l0_reverse 16x4', 'bias_ih_l0_reverse 16', 'bias_hh_l0_reverse 16',
      'weight_ih_l1 16x8', 'weight_hh_l1 16x4', 'bias_ih_l1 16', 'bias_hh_l1 16',
      'weight_ih_l1_reverse 16x8', 'weight_hh_l1_reverse 16x4', 'bias_ih_l1_reverse 16', 'bias_hh_l1_reverse 16',
    ]);
    let largest = 0;
    for (const value of Object.values(lstm.stateDict())) for (const element of value.dataSync()) largest = Math.max(largest, Math.abs(element));
    expect(largest).toBeLessThanOrEqual(0.5);
    expect(largest).toBeGreaterThan(0.4);
    expect(Object.keys(new GRU(2, 3, { bias: false }).stateDict())).toEqual(['weight_ih_l0', 'weight_hh_l0']);
    expect(lstm.parameter('weight_hh_l1_reverse').shape).toEqual([16, 4]);
  });

  it('round-trip through safetensors and give the same numbers', () => {
    const generator = new Generator(20);
    const source = new GRU(3, 4, { numLayers: 2, generator });
    const target = new GRU(3, 4, { numLayers: 2, generator });
    target.loadStateDict(loadSafetensors(saveSafetensors(source.stateDict())));
    const x = random([5, 2, 3], generator);
    expectClose(target.forward(x).output, source.forward(x).output, 0);
  });

  it('treat batchFirst as a transpose of input and output only', () => {
    const generator = new Generator(21);
    const timeMajor = new LSTM(3, 4, { numLayers: 2, bidirectional: true, batchFirst: false, generator });
    const batchMajor = new LSTM(3, 4, { numLayers: 2, bidirectional: true, batchFirst: true });
    batchMajor.loadStateDict(timeMajor.stateDict());
    const x = random([6, 2, 3], generator);
    const a = timeMajor.forward(x, { lengths: [6, 3] });
    const b = batchMajor.forward(x.transpose(0, 1), { lengths: [6, 3] });
    expectClose(b.output.transpose(0, 1), a.output);
    expectClose(b.hN, a.hN);
    expectClose(b.cN, a.cN);
  });

  it('read [B, T, I] when built without batchFirst (heed is batch-first everywhere)', () => {
    const generator = new Generator(25);
    const [batch, steps] = [2, 5];
    for (const mode of modes) {
      const layer = makeLayer(mode, 3, 4, { generator });
      const timeMajor = makeLayer(mode, 3, 4, { batchFirst: false });
      timeMajor.loadStateDict(layer.stateDict());
      expect(layer.batchFirst).toBe(true);
      const x = random([batch, steps, 3], generator);
      const result = run(layer, x, { lengths: [5, 3] });
      expect(result.output.shape).toEqual([batch, steps, 4]);
      expect(result.hN.shape).toEqual([1, batch, 4]);
      const want = run(timeMajor, x.transpose(0, 1), { lengths: [5, 3] });
      expectClose(result.output, want.output.transpose(0, 1));
      expectClose(result.hN, want.hN);
      // The function the layers call has the same default.
      const functional = recurrent(mode, x, layer.stateDict(), { lengths: [5, 3] });
      expect(functional.output.shape).toEqual([batch, steps, 4]);
      expectClose(functional.hN, want.hN);
    }
  });

  it('accept an unbatched sequence', () => {
    const generator = new Generator(22);
    const gru = new GRU(3, 4, { bidirectional: true, generator });
    const x = random([5, 3], generator);
    const h0 = random([2, 4], generator);
    const single = gru.forward(x, { h0 });
    const batched = gru.forward(x.unsqueeze(0), { h0: h0.unsqueeze(1) });
    expect(single.output.shape).toEqual([5, 8]);
    expect(single.hN.shape).toEqual([2, 4]);
    expectClose(single.output, batched.output.squeeze(0));
  });

  it('apply dropout between layers only in training mode', () => {
    const generator = new Generator(23);
    const lstm = new LSTM(3, 8, { numLayers: 2, dropout: 0.5, generator });
    const x = random([4, 2, 3], generator);
    const first = lstm.forward(x).output;
    const second = lstm.forward(x).output;
    expect(Array.from(first.dataSync())).not.toEqual(Array.from(second.dataSync()));
    lstm.eval();
    expectClose(lstm.forward(x).output, lstm.forward(x).output, 0);
    // One layer has no layer above it: dropout changes nothing.
    const single = new LSTM(3, 8, { dropout: 0.5, generator });
    const trained = single.forward(x).output;
    expectClose(single.eval().forward(x).output, trained, 0);
  });

  it('do not retain a graph or mutate inputs when nothing requires grad', () => {
    const generator = new Generator(24);
    const rnn = new RNN(3, 4, { generator });
    for (const parameter of rnn.parameters()) parameter.requiresGrad = false;
    const x = random([2, 5, 3], generator);
    const before = Array.from(x.dataSync());
    const { output, hN } = rnn.forward(x, { lengths: [5, 2] });
    expect(output.requiresGrad || hN.requiresGrad).toBe(false);
    expect(Array.from(x.dataSync())).toEqual(before);
  });

  it('raise HeedError for a bad configuration', () => {
    expect(() => new LSTM(3, 4, { numLayers: 0 })).toThrowError(HeedError);
    expect(() => new GRU(3, 4, { dropout: 1 })).toThrowError(/dropout: must be in \[0, 1\)/);
    expect(() => new LSTM(3, 4).parameter('weight_ih_l1')).toThrowError(/no parameter weight_ih_l1/);
  });
});
