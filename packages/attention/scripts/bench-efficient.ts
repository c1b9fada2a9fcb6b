/**
 * Benchmark of efficient attention on the CPU backend: time and peak memory of full attention
 * (`scaledDotProductAttention`, the `L × S` way) against `memoryEfficientAttention` (the backend's
 * fused kernel, and the composed query-block path over matmul), local
 * attention (`sparseAttention` with a sliding window) and `linearAttention`, at L = S = 1024,
 * 4096 and 16384 (one head, D = 64), forward and forward + backward; plus memory-efficient
 * attention forward at L = 65536.
 *
 * Every measurement runs in a fresh child process, so its peak memory is its own: the peak is
 * the process's maximum resident set size (`process.resourceUsage().maxRSS`) minus the resident
 * set before the call (inputs already allocated, code warmed up at L = 256). "Kept for backward"
 * is the ArrayBuffer memory freed when a second forward's result is released (after a GC), minus
 * the output: what the autograd graph holds until backward (the weights for full attention).
 *
 * Run from the repository root (nothing else heavy at the same time; L = 65536 takes minutes):
 *   node --conditions=@heed/source --import tsx packages/attention/scripts/bench-efficient.ts
 * Options: --lengths 1024,4096   --methods full,local   --skip-65536   --composed-65536   --json
 * Also prints the machine's load average: timings on a shared machine are upper bounds.
 */
import { spawnSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Generator, noGrad, ones, randn, type Tensor } from '@heed/tensor';
import { linearAttention, memoryEfficientAttention, scaledDotProductAttention, slidingWindowPattern, sparseAttention } from '@heed/attention';

const DEPTH = 64;
const LOCAL_WINDOW = 128; // |i - j| < 128: 255 keys per query
/** Full attention needs ≥ 3 live L × S float32 buffers forward, more with backward. */
const FULL_LIMIT = 4096;

const methods = {
  full: (q: Tensor, k: Tensor, v: Tensor) => scaledDotProductAttention(q, k, v),
  'memory-efficient': (q: Tensor, k: Tensor, v: Tensor) => memoryEfficientAttention(q, k, v, { implementation: 'fused' }),
  'memory-efficient composed': (q: Tensor, k: Tensor, v: Tensor) => memoryEfficientAttention(q, k, v, { implementation: 'composed' }),
  local: (q: Tensor, k: Tensor, v: Tensor) => sparseAttention(q, k, v, { pattern: slidingWindowPattern({ window: LOCAL_WINDOW }) }),
  linear: (q: Tensor, k: Tensor, v: Tensor) => linearAttention(q, k, v),
  'linear causal': (q: Tensor, k: Tensor, v: Tensor) => linearAttention(q, k, v, { causal: true }),
} as const;
type Method = keyof typeof methods;
type Mode = 'forward' | 'forward+backward';

interface Case {
  method: Method;
  length: number;
  mode: Mode;
}

interface Measurement extends Case {
  seconds: number;
  peakBytes: number;
  keptBytes: number;
}

const gc = (): void => (globalThis as { gc?: () => void }).gc?.();
/** Collects garbage until ArrayBuffer backing stores (freed by a background sweeper) are gone. */
async function settle(): Promise<void> {
  for (let round = 0; round < 3; round++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 30));
  }
}
const arrayBuffers = (): number => process.memoryUsage().arrayBuffers;

function inputs(length: number, train: boolean): Tensor[] {
  const generator = new Generator(length);
  return [0, 1, 2].map(() => {
    const tensor = randn([1, 1, length, DEPTH], { generator });
    return train ? tensor.requiresGrad_() : tensor;
  });
}

function run(method: Method, mode: Mode, tensors: Tensor[]): Tensor {
  const fn = methods[method];
  const [q, k, v] = tensors;
  return mode === 'forward' ? noGrad(() => fn(q, k, v)) : fn(q, k, v);
}

/** In the child: one measurement, printed as a JSON line. */
async function measure(spec: Case): Promise<Measurement> {
  const train = spec.mode === 'forward+backward';
  run(spec.method, spec.mode, inputs(256, train)); // warm up the code paths
  const tensors = inputs(spec.length, train);
  await settle();
  const residentBefore = process.memoryUsage().rss;
  const start = performance.now();
  const output = run(spec.method, spec.mode, tensors);
  output.dataSync();
  if (train) {
    output.backward(ones([...output.shape]));
    tensors.forEach((tensor) => tensor.grad?.dataSync());
  }
  const seconds = (performance.now() - start) / 1000;
  const peakBytes = Math.max(0, process.resourceUsage().maxRSS * 1024 - residentBefore);
  let keptBytes = 0;
  if (train) {
    // What the graph keeps alive for backward: the memory a second forward's result holds,
    // measured as the drop when that result (and its graph) is released, less the output itself.
    let again: Tensor | null = run(spec.method, spec.mode, tensors);
    const outputBytes = again.size * 4;
    await settle();
    const held = arrayBuffers();
    again = null;
    await settle();
    keptBytes = Math.max(0, held - arrayBuffers() - outputBytes);
  }
  return { ...spec, seconds, peakBytes, keptBytes };
}

function option(name: string): string | null {
  const index = process.argv.indexOf(name);
  return index >= 0 ? (process.argv[index + 1] ?? null) : null;
}

function spawnCase(spec: Case): Measurement | string {
  const script = fileURLToPath(import.meta.url);
  const child = spawnSync(process.execPath, [...process.execArgv, '--expose-gc', script, '--case', JSON.stringify(spec)], {
    encoding: 'utf8',
    maxBuffer: 1 << 24,
  });
  const line = child.stdout.trim().split('\n').pop() ?? '';
  if (child.status !== 0 || !line.startsWith('{')) return `failed (${child.signal ?? child.status}): ${child.stderr.trim().split('\n').slice(-3).join(' ')}`;
  return JSON.parse(line) as Measurement;
}

const megabytes = (bytes: number): string => (bytes / 2 ** 20).toFixed(bytes < 10 * 2 ** 20 ? 1 : 0);
const time = (seconds: number): string => (seconds < 1 ? `${(seconds * 1000).toFixed(0)} ms` : `${seconds.toFixed(2)} s`);

async function main(): Promise<void> {
  const caseArgument = option('--case');
  if (caseArgument) {
    console.log(JSON.stringify(await measure(JSON.parse(caseArgument) as Case)));
    return;
  }
  const lengths = (option('--lengths') ?? '1024,4096,16384').split(',').map(Number);
  const chosen = (option('--methods')?.split(',') ?? Object.keys(methods)) as Method[];
  const cases: Case[] = [];
  for (const length of lengths) for (const method of chosen) for (const mode of ['forward', 'forward+backward'] as const) cases.push({ method, length, mode });
  if (!process.argv.includes('--skip-65536')) {
    const big: Method[] = process.argv.includes('--composed-65536') ? ['memory-efficient', 'memory-efficient composed'] : ['memory-efficient'];
    for (const method of big) if (chosen.includes(method)) cases.push({ method, length: 65536, mode: 'forward' });
  }
  const results: (Measurement | (Case & { note: string }))[] = [];
  console.log(`efficient attention on the CPU backend, one head, D = ${DEPTH}, Node ${process.version}; local = sliding window |i - j| < ${LOCAL_WINDOW}`);
  console.log(`${cpus().length} logical CPUs (${cpus()[0]?.model ?? 'unknown'}), load average at start ${loadavg().map((load) => load.toFixed(1)).join(' ')}`);
  console.log('| method | L = S | pass | time | peak memory (MiB) | kept for backward (MiB) |');
  console.log('| --- | ---: | --- | ---: | ---: | ---: |');
  for (const spec of cases) {
    let row: string;
    if (spec.method === 'full' && spec.length > FULL_LIMIT) {
      const gib = (spec.length * spec.length * 4) / 2 ** 30;
      const note = `skipped: each L × S float32 buffer is ${gib.toFixed(0)} GiB, and the pass needs several`;
      results.push({ ...spec, note });
      row = `| ${spec.method} | ${spec.length} | ${spec.mode} | ${note} | | |`;
    } else {
      const result = spawnCase(spec);
      if (typeof result === 'string') {
        results.push({ ...spec, note: result });
        row = `| ${spec.method} | ${spec.length} | ${spec.mode} | ${result} | | |`;
      } else {
        results.push(result);
        const kept = spec.mode === 'forward' ? '—' : megabytes(result.keptBytes);
        row = `| ${spec.method} | ${spec.length} | ${spec.mode} | ${time(result.seconds)} | ${megabytes(result.peakBytes)} | ${kept} |`;
      }
    }
    console.log(row);
  }
  console.log(`load average at end ${loadavg().map((load) => load.toFixed(1)).join(' ')}`);
  if (process.argv.includes('--json')) console.log(JSON.stringify(results));
}

await main();
