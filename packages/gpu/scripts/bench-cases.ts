// The benchmarks of bench-gpu.ts and device-check.ts: matmul 1024×1024, fused attention forward
// at L = S = 1024 and 4096 (D = 64), and an LSTM forward (hidden 128, T = 1024) built from tensor
// ops. Each figure is the median wall time of a few runs after one warm-up run, including the
// read back of the result (`await tensor.data()`), so asynchronous WebGPU pays for its work.
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
] satisfies Benchmark[];

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

