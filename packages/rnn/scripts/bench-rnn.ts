// Forward and forward+backward time of RNN, LSTM and GRU layers on the CPU backend, at hidden
// 128 and input 128, for batch 1 and 16 and T = 128, 1024, 4096 (the figures of issue 4).
//
//   node --conditions=@heed/source --import tsx packages/rnn/scripts/bench-rnn.ts [options]
//     --quick                  T = 128 and 1024 only
//     --steps=128,1024         time steps to run
//     --batches=1,16           batch sizes to run
//     --implementation=host    host (default), composed, or both (composed only up to T = 1024)
//     --threads=N              run on cpuBackend({ threads: N }) instead of the default backend
//     --json=out.json          also write the rows as JSON
//
// Each figure is the median (and the minimum) of several runs after one warm-up run (fewer runs
// for long inputs); the load average is printed, since other processes on the machine skew the
// median more than the minimum.
// "forward" runs under noGrad (inference); "fwd+bwd" runs with every parameter requiring grad
// and backpropagates sum(output · seed) + sum(hN · seed) through time.
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { Generator, cpuBackend, getBackend, noGrad, randn, setBackend, type Tensor } from '@heed/tensor';
import { GRU, LSTM, RNN, type RecurrentImplementation } from '@heed/rnn';

const argument = (name: string): string | undefined => process.argv.find((value) => value.startsWith(`--${name}=`))?.slice(name.length + 3);
const list = (value: string | undefined, fallback: number[]): number[] => (value ? value.split(',').map(Number) : fallback);
const quick = process.argv.includes('--quick');
const stepsList = list(argument('steps'), quick ? [128, 1024] : [128, 1024, 4096]);
const batches = list(argument('batches'), [1, 16]);
const implementations: RecurrentImplementation[] =
  argument('implementation') === 'both' ? ['host', 'composed'] : [(argument('implementation') as RecurrentImplementation | undefined) ?? 'host'];
const size = 128;
const threads = argument('threads');
if (threads) setBackend(cpuBackend({ threads: Number(threads) }));
const backendInfo = (getBackend() as { info?: { kernels: string; threads: number } }).info;

type Layer = RNN | LSTM | GRU;
// Time-major [T, B, ·], as this benchmark has always measured (the layers default to batch-first).
const kinds: [string, () => Layer][] = [
  ['RNN', () => new RNN(size, size, { batchFirst: false, generator: new Generator(1) })],
  ['LSTM', () => new LSTM(size, size, { batchFirst: false, generator: new Generator(1) })],
  ['GRU', () => new GRU(size, size, { batchFirst: false, generator: new Generator(1) })],
];

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function time(fn: () => void, runs: number): { median: number; min: number } {
  fn();
  const samples: number[] = [];
  for (let run = 0; run < runs; run++) {
    const start = performance.now();
    fn();
    samples.push(performance.now() - start);
  }
  return { median: median(samples), min: Math.min(...samples) };
}

interface Row {
  layer: string;
  implementation: RecurrentImplementation;
  batch: number;
  steps: number;
  forwardMs: number;
  forwardBackwardMs: number;
  forwardMinMs: number;
  forwardBackwardMinMs: number;
}

const rows: Row[] = [];
const load = (): string => loadavg().map((value) => value.toFixed(1)).join(' ');
console.log(`heed @heed/rnn benchmark: hidden ${size}, input ${size}, CPU backend, ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}, ${backendInfo ? `${backendInfo.kernels} kernels on ${backendInfo.threads} thread(s)` : getBackend().name}, load average ${load()}`);
console.log('layer | impl     |  B |    T | forward ms (min) | fwd+bwd ms (min) | µs/step fwd | µs/step fwd+bwd');
console.log('----- | -------- | -- | ---- | ---------------- | ---------------- | ----------- | ---------------');
for (const implementation of implementations) {
  for (const [name, make] of kinds) {
    for (const batch of batches) {
      for (const steps of stepsList) {
        if (implementation === 'composed' && steps > 1024) continue;
        const layer = make();
        layer.implementation = implementation;
        const generator = new Generator(2);
        const x = randn([steps, batch, size], { generator });
        const seedOutput = randn([steps, batch, size], { generator });
        const seedState = randn([1, batch, size], { generator });
        const work = steps * batch;
        const runs = work <= 2048 ? 7 : work <= 20000 ? 5 : 3;
        const forward = time(() => void noGrad(() => layer.forward(x).output.dataSync()), runs);
        const forwardBackward = time(() => {
          layer.zeroGrad();
          const { output, hN }: { output: Tensor; hN: Tensor } = layer.forward(x);
          output.mul(seedOutput).sum().add(hN.mul(seedState).sum()).backward();
        }, runs);
        const row: Row = {
          layer: name,
          implementation,
          batch,
          steps,
          forwardMs: forward.median,
          forwardBackwardMs: forwardBackward.median,
          forwardMinMs: forward.min,
          forwardBackwardMinMs: forwardBackward.min,
        };
        rows.push(row);
        const cell = (value: number, width: number, digits = 1): string => value.toFixed(digits).padStart(width);
        const pair = (value: number, least: number): string => `${value.toFixed(1)} (${least.toFixed(1)})`.padStart(16);
        console.log(
          `${name.padEnd(5)} | ${implementation.padEnd(8)} | ${String(batch).padStart(2)} | ${String(steps).padStart(4)} | ${pair(row.forwardMs, row.forwardMinMs)} | ${pair(row.forwardBackwardMs, row.forwardBackwardMinMs)} | ${cell((row.forwardMs * 1000) / steps, 11)} | ${cell((row.forwardBackwardMs * 1000) / steps, 15)}`,
        );
      }
    }
  }
}
console.log(`load average at the end: ${load()}`);
const out = argument('json');
if (out) writeFileSync(out, JSON.stringify({ size, node: process.version, cpu: cpus()[0]?.model, rows }, null, 2));
