/**
 * Times the CPU backend's heavy kernels on each path: the plain JS kernels, WebAssembly SIMD on
 * one thread, and WebAssembly SIMD on every thread. Prints matmul GFLOP/s at 256/512/1024, the
 * memory-efficient attention forward and backward (L = S = 4096, D = 64), and the LSTM forward
 * (H = 128, input 128, T = 1024, batch 16 and 1: the input projection as one matmul plus the
 * fused `lstmSequence` sweep). Where the engine has relaxed SIMD (Node 22+, or Node 20 with
 * `--experimental-wasm-relaxed-simd`), a column with the plain SIMD kernels on one thread is added.
 *
 *   node --conditions=@heed/source --import tsx packages/tensor/scripts/bench-kernels.ts [--quick] [--js] [--threads N]
 *
 * `--quick` uses smaller attention and LSTM sizes; `--js` also times the plain JS path on the
 * big workloads (seconds each). Peers (TensorFlow.js, onnxruntime-node) run in the bench app's
 * peers suite, in the same process as heed's rows.
 */
import { cpus, loadavg } from 'node:os';
import { cpuBackend, type CpuBackend, type DataArray, type View } from '@heed/tensor';

const flags = process.argv.slice(2);
const quick = flags.includes('--quick');
const withJs = flags.includes('--js');
const threadFlag = flags.indexOf('--threads');
const threads = threadFlag >= 0 ? Number(flags[threadFlag + 1]) : undefined;

let seed = 42;
const random = (size: number, scale = 1): Float32Array =>
  Float32Array.from({ length: size }, () => (((seed = (seed * 16807) % 2147483647) / 2147483647) * 2 - 1) * scale);
const view = (data: DataArray, shape: number[]): View<DataArray> => ({
  handle: data,
  dtype: 'float32',
  shape,
  strides: shape.map((_, axis) => shape.slice(axis + 1).reduce((product, size) => product * size, 1)),
  offset: 0,
});

/**
 * Median wall-clock milliseconds of `run` after `warmup` untimed runs (stopping after about
 * `budgetMs`), and the median CPU milliseconds of the whole process (every thread) per run.
 */
function time(run: () => unknown, options: { warmup?: number; runs?: number; budgetMs?: number } = {}): { median: number; cpu: number; runs: number } {
  const { warmup = 2, runs = 7, budgetMs = 4000 } = options;
  for (let index = 0; index < warmup; index++) run();
  const walls: number[] = [];
  const cpus: number[] = [];
  const start = performance.now();
  while (walls.length < runs && (walls.length < 3 || performance.now() - start < budgetMs)) {
    const before = performance.now();
    const usage = process.cpuUsage();
    run();
    const spent = process.cpuUsage(usage);
    walls.push(performance.now() - before);
    cpus.push((spent.user + spent.system) / 1000);
  }
  const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)];
  return { median: median(walls), cpu: median(cpus), runs: walls.length };
}
/** "wall / cpu" milliseconds. */
const timing = ({ median, cpu }: { median: number; cpu: number }) => `${median.toFixed(1)} / ${cpu.toFixed(0)}`;

const single = cpuBackend({ threads: 1 });
const relaxed = single.info.relaxedSimd;
const threaded = cpuBackend({ threads });
const paths: [string, CpuBackend][] = [
  ['js', cpuBackend({ simd: false })],
  // Where the engine has relaxed SIMD the default uses it; the plain SIMD column shows what it buys.
  ...(relaxed ? ([['wasm 1 thread, plain SIMD', cpuBackend({ threads: 1, relaxedSimd: false })]] as [string, CpuBackend][]) : []),
  [`wasm 1 thread${relaxed ? ', relaxed SIMD' : ''}`, single],
  [`wasm ${threaded.info.threads} threads${relaxed ? ', relaxed SIMD' : ''}`, threaded],
];
// Start the workers and give them a moment, so the first timed runs are not single-threaded.
threaded.run('matmul', { a: view(random(256 * 256), [1, 256, 256]), b: view(random(256 * 256), [1, 256, 256]) });
await new Promise((resolve) => setTimeout(resolve, 500));

const machine = cpus()[0]?.model ?? 'unknown CPU';
console.log(`heed CPU kernels — ${machine}, ${cpus().length} logical CPUs, Node ${process.versions.node}, load average ${loadavg().map((value) => value.toFixed(1)).join(' ')}`);
console.log(`default cpuBackend(): ${JSON.stringify({ ...cpuBackend().info, features: undefined })}`);
console.log(`engine features: ${JSON.stringify(threaded.info.features)}\n`);

const rows: string[][] = [['workload', ...paths.map(([name]) => name), 'unit']];

for (const size of [256, 512, 1024]) {
  const a = view(random(size * size), [1, size, size]);
  const b = view(random(size * size), [1, size, size]);
  const flops = 2 * size ** 3;
  rows.push([
    `matmul ${size}³`,
    ...paths.map(([name, backend]) => {
      if (name === 'js' && size === 1024 && !withJs && quick) return '—';
      const { median, cpu } = time(() => backend.run('matmul', { a, b }), { runs: size === 1024 ? 5 : 9 });
      return `${(flops / (median * 1e6)).toFixed(1)} / ${(flops / (cpu * 1e6)).toFixed(1)}`;
    }),
    'GFLOP/s: wall / per CPU-second',
  ]);
}

const length = quick ? 1024 : 4096;
const depth = 64;
const attention = {
  query: view(random(length * depth), [1, length, depth]),
  key: view(random(length * depth), [1, length, depth]),
  value: view(random(length * depth), [1, length, depth]),
  mask: null,
  causal: false,
  scale: 1 / Math.sqrt(depth),
  window: null,
};
const forward = threaded.runFused!('attentionForward', attention);
const backwardArgs = {
  ...attention,
  output: view(forward.output, [1, length, depth]),
  logSumExp: view(forward.logSumExp, [1, length]),
  gradOutput: view(random(length * depth), [1, length, depth]),
};
const jsAllowed = (name: string) => name !== 'js' || withJs || quick;
rows.push([`attention forward L=S=${length} D=${depth}`, ...paths.map(([name, backend]) => (jsAllowed(name) ? timing(time(() => backend.runFused!('attentionForward', attention), { warmup: name === 'js' ? 0 : 2, runs: 5 })) : '—')), 'ms: wall / CPU']);
rows.push([`attention backward L=S=${length} D=${depth}`, ...paths.map(([name, backend]) => (jsAllowed(name) ? timing(time(() => backend.runFused!('attentionBackward', backwardArgs), { warmup: name === 'js' ? 0 : 2, runs: 5 })) : '—')), 'ms: wall / CPU']);

for (const batch of [16, 1]) {
  const steps = quick ? 256 : 1024;
  const hidden = 128;
  const inputSize = 128;
  const input = view(random(steps * batch * inputSize), [1, steps * batch, inputSize]);
  const weightInput = random(4 * hidden * inputSize, 1 / Math.sqrt(hidden));
  // x · W_ihᵀ: W_ih [4H, I] viewed transposed.
  const weightInputT: View<DataArray> = { handle: weightInput, dtype: 'float32', shape: [1, inputSize, 4 * hidden], strides: [0, 1, inputSize], offset: 0 };
  const weightHidden = view(random(4 * hidden * hidden, 1 / Math.sqrt(hidden)), [4 * hidden, hidden]);
  const zeros = view(new Float32Array(batch * hidden), [batch, hidden]);
  const lstm = (backend: CpuBackend) => {
    const projected = backend.run('matmul', { a: input, b: weightInputT }) as Float32Array;
    return backend.runFused!('lstmSequence', {
      projected: view(projected, [steps, batch, 4 * hidden]),
      weightHidden,
      biasHidden: null,
      hidden: zeros,
      cell: zeros,
      lengths: null,
      reverse: false,
      batchFirst: false,
      saveForBackward: false,
    });
  };
  rows.push([`LSTM forward H=${hidden} I=${inputSize} B=${batch} T=${steps}`, ...paths.map(([name, backend]) => (jsAllowed(name) ? timing(time(() => lstm(backend), { warmup: name === 'js' ? 0 : 2, runs: 5 })) : '—')), 'ms: wall / CPU']);
}

const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
for (const [index, row] of rows.entries()) {
  console.log(row.map((text, column) => (column === 0 ? text.padEnd(widths[column]) : text.padStart(widths[column]))).join('  '));
  if (index === 0) console.log(widths.map((width) => '-'.repeat(width)).join('  '));
}
console.log('\nMedians. CPU time counts every thread of the process; on an idle machine wall ≈ CPU / threads,');
console.log('so a wall time far above that means other processes held the cores (see the load average).');
await Promise.all(paths.map(([, backend]) => backend.close()));
