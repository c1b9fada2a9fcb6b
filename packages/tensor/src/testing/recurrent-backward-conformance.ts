// Conformance cases of the recurrent backward kernels (`lstmSequenceBackward`,
// `gruSequenceBackward`, `rnnSequenceBackward`): the backend's forward sweep saves what the
// backward reads, and the gradients are compared with autograd through composed tensor ops per
// step on the plain JS CPU backend, which shares no code with any sweep kernel.
import { backward } from '../autograd.js';
import type { Backend } from '../backend.js';
import { withBackend } from '../backend-registry.js';
import { cpuBackend } from '../cpu/cpu-backend.js';
import { zeros } from '../ops/creation.js';
import { gruSequence, lstmSequence, rnnSequence } from '../ops/recurrent-sequence.js';
import { randn, type Generator } from '../random.js';
import { Tensor } from '../tensor.js';
import type { KernelCases } from './conformance.js';
import { sweepArgs, sweepSpecs, sweepTensors, type SweepSpec } from './fused-conformance.js';

type Cell = 'lstm' | 'gru' | 'tanh' | 'relu';
const gateCount: Record<Cell, number> = { lstm: 4, gru: 3, tanh: 1, relu: 1 };

/** Seeded inputs and the gradients of the three results (output rows, hN, cN). */
function problem(generator: Generator, spec: SweepSpec) {
  const inputs = sweepTensors(generator, spec);
  const rows = spec.steps * spec.batch;
  const seeds = {
    output: randn([rows, spec.size], { generator }),
    hidden: randn([spec.batch, spec.size], { generator }),
    cell: randn([spec.batch, spec.size], { generator }),
  };
  return { inputs, seeds };
}

/** The backend's forward (saving activations) and backward kernels; returns the gradients. */
function runKernels(cell: Cell, generator: Generator, spec: SweepSpec): Tensor[] {
  const { inputs, seeds } = problem(generator, spec);
  const backend: Backend = inputs.hidden.backend;
  const rows = spec.steps * spec.batch;
  const width = gateCount[cell] * spec.size;
  const wrap = (handle: unknown, shape: number[]): Tensor => Tensor.fromHandle(backend, handle, shape, 'float32');
  const common = {
    steps: spec.steps,
    weightHidden: inputs.weightHidden.view,
    hidden: inputs.hidden.view,
    lengths: spec.lengths,
    reverse: spec.reverse,
    batchFirst: spec.batchFirst,
    gradOutput: seeds.output.view,
    gradHidden: seeds.hidden.view,
    needWeightGradients: true,
  };
  let result: { gradProjected: unknown; gradHidden: unknown; gradCell?: unknown; gradWeightHidden: unknown; gradBiasHidden: unknown };
  if (cell === 'lstm') {
    const forward = backend.runFused!('lstmSequence', { ...sweepArgs(spec, inputs), cell: inputs.cell.view, saveForBackward: true });
    const saved = { output: wrap(forward.output, [rows, spec.size]), gates: wrap(forward.gates, [rows, width]), cells: wrap(forward.cells, [rows, spec.size]) };
    result = backend.runFused!('lstmSequenceBackward', { ...common, output: saved.output.view, cell: inputs.cell.view, gates: saved.gates.view, cells: saved.cells.view, gradCell: seeds.cell.view });
  } else if (cell === 'gru') {
    const forward = backend.runFused!('gruSequence', { ...sweepArgs(spec, inputs), saveForBackward: true });
    const saved = { output: wrap(forward.output, [rows, spec.size]), gates: wrap(forward.gates, [rows, 4 * spec.size]) };
    result = backend.runFused!('gruSequenceBackward', { ...common, output: saved.output.view, gates: saved.gates.view });
  } else {
    const forward = backend.runFused!('rnnSequence', { ...sweepArgs(spec, inputs), nonlinearity: cell });
    result = backend.runFused!('rnnSequenceBackward', { ...common, output: wrap(forward.output, [rows, spec.size]).view, nonlinearity: cell });
  }
  return [
    wrap(result.gradProjected, [rows, width]),
    wrap(result.gradHidden, [spec.batch, spec.size]),
    ...(cell === 'lstm' ? [wrap(result.gradCell, [spec.batch, spec.size])] : []),
    wrap(result.gradWeightHidden, [width, spec.size]),
    wrap(result.gradBiasHidden, [width]),
  ];
}

/** The same gradients from autograd through composed ops per step, on the plain JS backend. */
function composedGradients(cell: Cell, generator: Generator, spec: SweepSpec): Float64Array[] {
  return withBackend(cpuBackend({ simd: false }), () => {
    const { inputs, seeds } = problem(generator, spec);
    const width = gateCount[cell] * spec.size;
    // The op's batch-first projection is [B, T, ·]; its gradient rows then match the kernel's.
    const projected = (spec.batchFirst ? inputs.projected.transpose(0, 1) : inputs.projected).contiguous().requiresGrad_();
    const weightHh = inputs.weightHidden.detach().requiresGrad_();
    const biasHh = (inputs.biasHidden ?? zeros([width])).detach().requiresGrad_();
    const h0 = inputs.hidden.detach().requiresGrad_();
    const c0 = inputs.cell.detach().requiresGrad_();
    const options = { biasHh, h0, batchFirst: spec.batchFirst, reverse: spec.reverse, lengths: spec.lengths, implementation: 'composed' as const };
    const out =
      cell === 'lstm'
        ? lstmSequence(projected, weightHh, { ...options, c0 })
        : { ...(cell === 'gru' ? gruSequence(projected, weightHh, options) : rnnSequence(projected, weightHh, { ...options, nonlinearity: cell })), cN: null };
    let loss = out.output.reshape(seeds.output.shape).mul(seeds.output).sum().add(out.hN.mul(seeds.hidden).sum());
    if (out.cN) loss = loss.add(out.cN.mul(seeds.cell).sum());
    backward(loss);
    const grads = [projected, h0, ...(cell === 'lstm' ? [c0] : []), weightHh, biasHh];
    return grads.map((leaf) => Float64Array.from(leaf.grad!.dataSync()));
  });
}

function cases(cell: Cell): KernelCases {
  const kernel = cell === 'lstm' ? 'lstmSequenceBackward' : cell === 'gru' ? 'gruSequenceBackward' : 'rnnSequenceBackward';
  const label = cell === 'tanh' || cell === 'relu' ? `${kernel} ${cell}` : kernel;
  return sweepSpecs(gateCount[cell]).map(([name, spec]) => ({
    name: `${label} ${name}, against autograd through composed steps`,
    requires: kernel,
    run: (generator: Generator) => runKernels(cell, generator, spec),
    oracle: (generator: Generator) => composedGradients(cell, generator, spec),
  }));
}

/** The conformance cases of the three recurrent backward kernels. */
export function recurrentBackwardCases(): Record<'lstmSequenceBackward' | 'gruSequenceBackward' | 'rnnSequenceBackward', KernelCases> {
  return { lstmSequenceBackward: cases('lstm'), gruSequenceBackward: cases('gru'), rnnSequenceBackward: [...cases('tanh'), ...cases('relu')] };
}
