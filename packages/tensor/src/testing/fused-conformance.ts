import type { Backend, FusedKernelName } from '../backend.js';
import { withBackend } from '../backend-registry.js';
import { cpuBackend } from '../cpu/cpu-backend.js';
import { tensor } from '../ops/creation.js';
import type { Generator} from '../random.js';
import { randn } from '../random.js';
import { Tensor } from '../tensor.js';
import type { KernelCases } from './conformance.js';
import { attentionOracle, gruOracle, lstmOracle, rnnOracle, type SweepOracleInputs } from './oracles.js';

const host = (x: Tensor): Float64Array => Float64Array.from(x.contiguous().dataSync());
/** The same seeded inputs as a case's `run`, read to the host for an oracle (randn draws on the host, so any backend gives the same numbers). */
const onHost = <T>(build: () => T): T => withBackend(cpuBackend({ simd: false }), build);
const result = (backend: Backend, handle: unknown, shape: number[]): Tensor => Tensor.fromHandle(backend, handle, shape, 'float32');

/** One recurrent sweep's shape and options. */
interface SweepSpec {
  steps: number;
  batch: number;
  size: number;
  gates: number;
  lengths: number[] | null;
  reverse: boolean;
  batchFirst: boolean;
  bias: boolean;
}

/** Seeded sweep inputs as tensors; with `batchFirst` the projection is a permuted [B, T, G·H] view. */
function sweepTensors(generator: Generator, spec: SweepSpec) {
  const width = spec.gates * spec.size;
  const projected = spec.batchFirst
    ? randn([spec.batch, spec.steps, width], { generator }).mul(1.5).transpose(0, 1)
    : randn([spec.steps, spec.batch, width], { generator }).mul(1.5);
  const weightHidden = randn([width, spec.size], { generator }).mul(1 / Math.sqrt(spec.size));
  const biasHidden = spec.bias ? randn([width], { generator }).mul(0.5) : null;
  const hidden = randn([spec.batch, spec.size], { generator });
  const cell = randn([spec.batch, spec.size], { generator });
  return { projected, weightHidden, biasHidden, hidden, cell };
}

function sweepArgs(spec: SweepSpec, inputs: ReturnType<typeof sweepTensors>) {
  return {
    projected: inputs.projected.view,
    weightHidden: inputs.weightHidden.view,
    biasHidden: inputs.biasHidden?.view ?? null,
    hidden: inputs.hidden.view,
    lengths: spec.lengths,
    reverse: spec.reverse,
    batchFirst: spec.batchFirst,
  };
}

function oracleInputs(spec: SweepSpec, inputs: ReturnType<typeof sweepTensors>): SweepOracleInputs {
  return {
    ...spec,
    projected: host(inputs.projected),
    weightHidden: host(inputs.weightHidden),
    biasHidden: inputs.biasHidden ? host(inputs.biasHidden) : null,
    hidden: host(inputs.hidden),
  };
}

// Unsorted lengths with padding, a bias and saved activations; reversed, batch-first (a strided
// projection), all lengths full and no bias; and a batch wide enough for threaded sweeps.
const sweepSpecs = (gates: number): [string, SweepSpec][] => [
  ['lengths [5, 2, 4], bias', { steps: 5, batch: 3, size: 4, gates, lengths: [5, 2, 4], reverse: false, batchFirst: false, bias: true }],
  ['reverse, batch-first strided input, no bias', { steps: 4, batch: 2, size: 3, gates, lengths: null, reverse: true, batchFirst: true, bias: false }],
  ['reverse with lengths [1, 3], batch-first', { steps: 3, batch: 2, size: 5, gates, lengths: [1, 3], reverse: true, batchFirst: true, bias: true }],
  ['B 8, H 16, lengths', { steps: 6, batch: 8, size: 16, gates, lengths: [6, 1, 3, 6, 2, 5, 4, 6], reverse: false, batchFirst: false, bias: true }],
];

function lstmCases(): KernelCases {
  return sweepSpecs(4).map(([name, spec]) => ({
    name: `lstmSequence ${name}, against a float64 oracle`,
    requires: 'lstmSequence' as const,
    run: (generator: Generator) => {
      const inputs = sweepTensors(generator, spec);
      const backend = inputs.hidden.backend;
      const out = backend.runFused!('lstmSequence', { ...sweepArgs(spec, inputs), cell: inputs.cell.view, saveForBackward: true });
      const rows = spec.steps * spec.batch;
      return [
        result(backend, out.output, [rows, spec.size]),
        result(backend, out.hidden, [spec.batch, spec.size]),
        result(backend, out.cell, [spec.batch, spec.size]),
        result(backend, out.gates, [rows, 4 * spec.size]),
        result(backend, out.cells, [rows, spec.size]),
      ];
    },
    oracle: (generator: Generator) => onHost(() => {
      const inputs = sweepTensors(generator, spec);
      return lstmOracle(oracleInputs(spec, inputs), host(inputs.cell));
    }),
  }));
}

function gruCases(): KernelCases {
  return sweepSpecs(3).map(([name, spec]) => ({
    name: `gruSequence ${name}, against a float64 oracle`,
    requires: 'gruSequence' as const,
    run: (generator: Generator) => {
      const inputs = sweepTensors(generator, spec);
      const backend = inputs.hidden.backend;
      const out = backend.runFused!('gruSequence', { ...sweepArgs(spec, inputs), saveForBackward: true });
      const rows = spec.steps * spec.batch;
      return [result(backend, out.output, [rows, spec.size]), result(backend, out.hidden, [spec.batch, spec.size]), result(backend, out.gates, [rows, 4 * spec.size])];
    },
    oracle: (generator: Generator) => onHost(() => gruOracle(oracleInputs(spec, sweepTensors(generator, spec)))),
  }));
}

function rnnCases(): KernelCases {
  return (['tanh', 'relu'] as const).flatMap((nonlinearity) =>
    sweepSpecs(1).map(([name, spec]) => ({
      name: `rnnSequence ${nonlinearity} ${name}, against a float64 oracle`,
      requires: 'rnnSequence' as const,
      run: (generator: Generator) => {
        const inputs = sweepTensors(generator, spec);
        const backend = inputs.hidden.backend;
        const out = backend.runFused!('rnnSequence', { ...sweepArgs(spec, inputs), nonlinearity });
        return [result(backend, out.output, [spec.steps * spec.batch, spec.size]), result(backend, out.hidden, [spec.batch, spec.size])];
      },
      oracle: (generator: Generator) => onHost(() => rnnOracle(oracleInputs(spec, sweepTensors(generator, spec)), nonlinearity)),
    })),
  );
}

/** One fused attention call's shape and rules. */
interface AttentionSpec {
  batches: number;
  queries: number;
  keys: number;
  depth: number;
  valueDepth: number;
  causal: boolean;
  window: readonly [number, number] | null;
  masked: boolean;
}

function attentionTensors(generator: Generator, spec: AttentionSpec) {
  const query = randn([spec.batches, spec.queries, spec.depth], { generator });
  const key = randn([spec.batches, spec.keys, spec.depth], { generator });
  const value = randn([spec.batches, spec.keys, spec.valueDepth], { generator });
  const gradOutput = randn([spec.batches, spec.queries, spec.valueDepth], { generator });
  // A key mask shared by every query row: a [1, 1, S] tensor broadcast with stride 0.
  const keep = spec.masked ? tensor(Array.from({ length: spec.keys }, (_, j) => j % 3 !== 2)).reshape([1, 1, spec.keys]) : null;
  return { query, key, value, gradOutput, keep };
}

/** Runs forward (and with `backward` the backward) fused attention; results as tensors. */
function runAttention(generator: Generator, spec: AttentionSpec, backward: boolean): Tensor[] {
  const { query, key, value, gradOutput, keep } = attentionTensors(generator, spec);
  const backend = query.backend;
  const mask = keep ? { ...keep.view, shape: [spec.batches, spec.queries, spec.keys], strides: [0, 0, 1] } : null;
  const common = { query: query.view, key: key.view, value: value.view, mask, causal: spec.causal, scale: 0.5, window: spec.window };
  const forward = backend.runFused!('attentionForward', common);
  const output = result(backend, forward.output, [spec.batches, spec.queries, spec.valueDepth]);
  const logSumExp = result(backend, forward.logSumExp, [spec.batches, spec.queries]);
  if (!backward) return [output, logSumExp.maximum(-1e30)];
  const grads = backend.runFused!('attentionBackward', { ...common, output: output.view, logSumExp: logSumExp.view, gradOutput: gradOutput.view });
  return [
    output,
    logSumExp.maximum(-1e30),
    result(backend, grads.gradQuery, [spec.batches, spec.queries, spec.depth]),
    result(backend, grads.gradKey, [spec.batches, spec.keys, spec.depth]),
    result(backend, grads.gradValue, [spec.batches, spec.keys, spec.valueDepth]),
  ];
}

function attentionOracleResults(generator: Generator, spec: AttentionSpec, backward: boolean): Float64Array[] {
  return onHost(() => {
    const inputs = attentionTensors(generator, spec);
    const mask = inputs.keep ? host(inputs.keep.expand([spec.batches, spec.queries, spec.keys]).float()) : null;
    const results = attentionOracle({
      shape: spec,
      query: host(inputs.query),
      key: host(inputs.key),
      value: host(inputs.value),
      gradOutput: host(inputs.gradOutput),
      mask,
      causal: spec.causal,
      scale: 0.5,
      window: spec.window,
    });
    results[1] = results[1].map((value) => Math.max(value, -1e30));
    return backward ? results : results.slice(0, 2);
  });
}

// Causal with a mask and L < S; a sliding window with L > S (so some rows see no key).
const attentionSpecs: [string, AttentionSpec][] = [
  ['causal, masked keys, L < S', { batches: 2, queries: 5, keys: 7, depth: 4, valueDepth: 3, causal: true, window: null, masked: true }],
  ['sliding window, L > S', { batches: 2, queries: 8, keys: 6, depth: 3, valueDepth: 4, causal: false, window: [2, 1], masked: false }],
];

function attentionCases(backward: boolean): KernelCases {
  const kernel = backward ? 'attentionBackward' : 'attentionForward';
  return attentionSpecs.map(([name, spec]) => ({
    name: `fused ${kernel} ${name}, against a float64 oracle`,
    requires: kernel,
    run: (generator: Generator) => runAttention(generator, spec, backward),
    oracle: (generator: Generator) => attentionOracleResults(generator, spec, backward),
  }));
}

/** The conformance cases of every fused kernel, each checked against a float64 oracle. */
export function fusedConformanceCases(): { readonly [K in FusedKernelName]: KernelCases } {
  return {
    attentionForward: attentionCases(false),
    attentionBackward: attentionCases(true),
    lstmSequence: lstmCases(),
    gruSequence: gruCases(),
    rnnSequence: rnnCases(),
  };
}
