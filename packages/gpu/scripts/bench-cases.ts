// The benchmarks of bench-gpu.ts and device-check.ts: matmul 1024×1024, fused attention forward
// at L = S = 1024 and 4096 (D = 64), and an LSTM forward (hidden 128, T = 1024) built from tensor
// ops; then the issue-15 targets: matmul 4096 (fp32), fused attention forward + backward at
// L = S = 16384 (D = 64), and the fused LSTM sweep (hidden 128, B = 16, T = 1024). Each figure is
// the median wall time of a few runs after one warm-up run, including a read back (`await
// tensor.data()`), so asynchronous WebGPU pays for its work: the whole result for the first four,
// one element for the targets (the device queue runs in order, so reading one element waits for
// all the work before it without timing a 64 MiB copy to the host).
import { Generator, Tensor, randn, withBackend, zeros, type Backend } from '@heed/tensor';

/** One measured figure. */
export interface Figure {
  backend: string;
  benchmark: string;
  milliseconds: number | null;
  runs: number;
  rate: string;
  note?: string;
}

/** One benchmark. */
export interface Benchmark {
  name: string;
  /** Floating-point operations of one run, for the rate column. */
  flops: number;
  /** A target-sized figure (seconds per run on a CPU): bench-gpu.ts runs it only when named in --only or with --targets. */
  heavy?: boolean;
  /** Builds inputs (outside the timing) and returns one timed run. */
  prepare: (backend: Backend) => () => Promise<void>;
}

const seeded = (shape: number[], seed: number): Tensor => randn(shape, { generator: new Generator(seed) });

function attention(length: number): Benchmark {
  const depth = 64;
  return {
    name: `attention-${length}`,
    flops: 4 * length * length * depth,
    prepare: (backend) => {
      const [query, key, value] = withBackend(backend, () => [seeded([1, length, depth], 1), seeded([1, length, depth], 2), seeded([1, length, depth], 3)]);
      return async () => {
        const result = backend.runFused!('attentionForward', { query: query.view, key: key.view, value: value.view, mask: null, causal: false, scale: 1 / Math.sqrt(depth), window: null });
        const output = Tensor.fromHandle(backend, result.output, [1, length, depth], 'float32');
        Tensor.fromHandle(backend, result.logSumExp, [1, length], 'float32').dispose();
        await output.data();
        output.dispose();
      };
    },
  };
}

/** Waits for `tensor` (and everything queued before it) by reading back one of its elements. */
async function touch(backend: Backend, tensor: Tensor): Promise<void> {
  const one = withBackend(backend, () => {
    let view = tensor;
    for (let axis = 0; axis < tensor.shape.length; axis++) view = view.slice(axis, 0, 1);
    return view.add(0);
  });
  await one.data();
  one.dispose();
}

/** Fused attention forward and backward at L = S = `length`, D = 64 (the training step's attention). */
function attentionTraining(length: number): Benchmark {
  const depth = 64;
  return {
    name: `attention-train-${length}`,
    heavy: true,
    // FlashAttention's count: 4·L²·D forward, 2.5 times that backward.
    flops: 14 * length * length * depth,
    prepare: (backend) => {
      const [query, key, value, gradOutput] = withBackend(backend, () => [1, 2, 3, 4].map((seed) => seeded([1, length, depth], seed)));
      return async () => {
        const common = { query: query.view, key: key.view, value: value.view, mask: null, causal: false, scale: 1 / Math.sqrt(depth), window: null };
        const forward = backend.runFused!('attentionForward', common);
        const output = Tensor.fromHandle(backend, forward.output, [1, length, depth], 'float32');
        const logSumExp = Tensor.fromHandle(backend, forward.logSumExp, [1, length], 'float32');
        const backward = backend.runFused!('attentionBackward', { ...common, output: output.view, logSumExp: logSumExp.view, gradOutput: gradOutput.view });
        const grads = [backward.gradQuery, backward.gradKey, backward.gradValue].map((handle) => Tensor.fromHandle(backend, handle, [1, length, depth], 'float32'));
        await touch(backend, grads[2]);
        for (const tensor of [output, logSumExp, ...grads]) tensor.dispose();
      };
    },
  };
}

/** The fused LSTM sweep forward (`lstmSequence`): hidden 128, batch 16, T = 1024, time-major. */
const lstmFused: Benchmark = {
  name: 'lstm-fused-h128-b16-t1024',
  heavy: true,
  flops: 1024 * 16 * (2 * 512 * 128 + 10 * 128),
  prepare: (backend: Backend) => {
    const [hidden, batch, steps] = [128, 16, 1024];
    const [projected, weightHidden, bias, h0, c0] = withBackend(backend, () => [
      seeded([steps, batch, 4 * hidden], 1),
      seeded([4 * hidden, hidden], 2).mul(0.05),
      seeded([4 * hidden], 3).mul(0.05),
      zeros([batch, hidden]),
      zeros([batch, hidden]),
    ]);
    return async () => {
      const result = backend.runFused!('lstmSequence', {
        projected: projected.view, weightHidden: weightHidden.view, biasHidden: bias.view, hidden: h0.view, cell: c0.view,
        lengths: null, reverse: false, batchFirst: false, saveForBackward: false,
      });
      const output = Tensor.fromHandle(backend, result.output, [steps * batch, hidden], 'float32');
      const rest = [Tensor.fromHandle(backend, result.hidden, [batch, hidden], 'float32'), Tensor.fromHandle(backend, result.cell, [batch, hidden], 'float32')];
      await touch(backend, rest[0]);
      for (const tensor of [output, ...rest]) tensor.dispose();
    };
  },
};

/** Every benchmark. */
export const benchmarks = [
  {
    name: 'matmul-1024',
    flops: 2 * 1024 ** 3,
    prepare: (backend: Backend) => {
      const [a, b] = withBackend(backend, () => [seeded([1024, 1024], 1), seeded([1024, 1024], 2)]);
      return async () => {
        const product = withBackend(backend, () => a.matmul(b));
        await product.data();
        product.dispose();
      };
    },
  },
  attention(1024),
  attention(4096),
  {
    name: 'lstm-h128-t1024',
    // Per step: two [1, 128]×[128, 512] products and the gate arithmetic.
    flops: 1024 * (2 * 2 * 128 * 512 + 10 * 128),
    prepare: (backend: Backend) => {
      const hidden = 128;
      const steps = 1024;
      const [input, weightIh, weightHh, bias] = withBackend(backend, () => [seeded([steps, hidden], 1), seeded([hidden, 4 * hidden], 2).mul(0.05), seeded([hidden, 4 * hidden], 3).mul(0.05), seeded([4 * hidden], 4).mul(0.05)]);
      return async () => {
        const last = withBackend(backend, () => {
          const projected = input.matmul(weightIh).add(bias);
          let h = zeros([1, hidden]);
          let c = zeros([1, hidden]);
          for (let t = 0; t < steps; t++) {
            const gates = projected.slice(0, t, t + 1).add(h.matmul(weightHh));
            const i = gates.slice(1, 0, hidden).sigmoid();
            const f = gates.slice(1, hidden, 2 * hidden).sigmoid();
            const g = gates.slice(1, 2 * hidden, 3 * hidden).tanh();
            const o = gates.slice(1, 3 * hidden, 4 * hidden).sigmoid();
            c = f.mul(c).add(i.mul(g));
            h = o.mul(c.tanh());
          }
          return h;
        });
        await last.data();
      };
    },
  },
  {
    name: 'matmul-4096',
    heavy: true,
    flops: 2 * 4096 ** 3,
    prepare: (backend: Backend) => {
      const [a, b] = withBackend(backend, () => [seeded([4096, 4096], 1), seeded([4096, 4096], 2)]);
      return async () => {
        const product = withBackend(backend, () => a.matmul(b));
        await touch(backend, product);
        product.dispose();
      };
    },
  },
  attentionTraining(16384),
  lstmFused,
] satisfies Benchmark[];

/** The issue-15 targets: which benchmark, and what the WebGPU figure must reach. */
export const targets = [
  { benchmark: 'matmul-4096', goal: 'at least 10 TFLOP/s (fp32)', met: (gpu: Figure) => flopsOf(gpu) >= 10e12 },
  { benchmark: 'attention-train-16384', goal: 'at least 10 times the CPU backend', met: (gpu: Figure, cpu: Figure | undefined) => cpu !== undefined && cpu.milliseconds! >= 10 * gpu.milliseconds! },
  { benchmark: 'lstm-fused-h128-b16-t1024', goal: 'faster than the CPU backend', met: (gpu: Figure, cpu: Figure | undefined) => cpu !== undefined && cpu.milliseconds! > gpu.milliseconds! },
];

/** A figure's floating-point operations per second. */
export function flopsOf(figure: Figure): number {
  const benchmark = benchmarks.find((entry) => entry.name === figure.benchmark);
  return benchmark && figure.milliseconds ? benchmark.flops / (figure.milliseconds / 1000) : 0;
}

/** One line per target: the WebGPU figure, the CPU figure, the ratio, met or missed. */
export function targetTable(figures: readonly Figure[], gpuLabel: string, cpuLabel: string): string[] {
  const lines = [`${'target'.padEnd(28)} ${'webgpu'.padStart(12)} ${'cpu'.padStart(12)} ${'speed-up'.padStart(9)} ${'TFLOP/s'.padStart(8)}  goal`];
  for (const target of targets) {
    const gpu = figures.find((figure) => figure.benchmark === target.benchmark && figure.backend === gpuLabel && figure.milliseconds !== null);
    const cpu = figures.find((figure) => figure.benchmark === target.benchmark && figure.backend === cpuLabel && figure.milliseconds !== null);
    if (!gpu) {
      lines.push(`${target.benchmark.padEnd(28)} ${'not run'.padStart(12)}  goal ${target.goal}`);
      continue;
    }
    const ratio = cpu ? `${(cpu.milliseconds! / gpu.milliseconds!).toFixed(1)}x` : '-';
    const verdict = target.met(gpu, cpu) ? 'MET' : 'MISSED';
    lines.push(`${target.benchmark.padEnd(28)} ${`${gpu.milliseconds!.toFixed(2)} ms`.padStart(12)} ${cpu ? `${cpu.milliseconds!.toFixed(2)} ms`.padStart(12) : '-'.padStart(12)} ${ratio.padStart(9)} ${(flopsOf(gpu) / 1e12).toFixed(2).padStart(8)}  ${verdict}: ${target.goal}`);
  }
  return lines;
}

/**
 * Times `benchmark` on `backend`: one warm-up run, then runs for `budget` seconds (at least 1,
 * at most 20). A warm-up longer than `warmupLimit` seconds is reported as the single figure.
 */
export async function time(benchmark: Benchmark, backend: Backend, label: string, budget: number, warmupLimit: number): Promise<Figure> {
  const run = benchmark.prepare(backend);
  const warmStart = performance.now();
  await run();
  const warmup = (performance.now() - warmStart) / 1000;
  const samples: number[] = [];
  if (warmup <= warmupLimit) {
    const deadline = performance.now() + budget * 1000;
    while (samples.length === 0 || (performance.now() < deadline && samples.length < 20)) {
      const start = performance.now();
      await run();
      samples.push(performance.now() - start);
      if (performance.now() > deadline) break;
    }
  }
  samples.sort((a, b) => a - b);
  const median = samples.length > 0 ? samples[Math.floor(samples.length / 2)] : warmup * 1000;
  const rate = `${(benchmark.flops / (median / 1000) / 1e9).toFixed(2)} GFLOP/s`;
  const note = samples.length === 0 ? `one run (warm-up ${warmup.toFixed(1)} s, over the limit)` : `warm-up ${(warmup * 1000).toFixed(0)} ms`;
  return { backend: label, benchmark: benchmark.name, milliseconds: median, runs: Math.max(samples.length, 1), rate, note };
}

