// Benchmarks @heed/gpu beside @heed/tensor's CPU backend (see bench-cases.ts for what is timed).
// Modes that are unavailable are listed with the reason.
//   node --conditions=@heed/source --import tsx packages/gpu/scripts/bench-gpu.ts \
//     [--modes=tensor-cpu,webasm,headlessgl,webgpu] [--only=matmul,attention-1024,...] [--targets] [--budget=8] [--out=results.json]
// --targets adds the issue-15 target figures (matmul-4096, attention-train-16384,
// lstm-fused-h128-b16-t1024) and prints their table; run it with --modes=tensor-cpu,webgpu.
import { writeFileSync } from 'node:fs';
import { cpuBackend, type Backend } from '@heed/tensor';
import { createGpuBackend, type GpuBackend, type GpuModeName } from '@heed/gpu';
import { benchmarks as allBenchmarks, targetTable, time, type Figure } from './bench-cases.js';

const argument = (name: string): string | undefined => process.argv.find((value) => value.startsWith(`--${name}=`))?.slice(name.length + 3);
const modeNames = (argument('modes') ?? 'tensor-cpu,webasm,headlessgl,webgpu').split(',');
const only = argument('only')?.split(',');
/** Seconds to spend timing one figure (after the warm-up run). */
const budget = Number(argument('budget') ?? 8);
/** Skip a figure whose warm-up took longer than this many seconds (it would only be slower). */
const warmupLimit = Number(argument('warmup-limit') ?? 120);
const withTargets = process.argv.includes('--targets');
const benchmarks = allBenchmarks.filter((benchmark) => (only ? only.includes(benchmark.name) : withTargets || !('heavy' in benchmark && benchmark.heavy)));

const figures: Figure[] = [];
const unavailable: string[] = [];
for (const name of modeNames) {
  let backend: Backend;
  let label = name;
  let gpu: GpuBackend | null = null;
  if (name === 'tensor-cpu') {
    backend = cpuBackend();
    label = 'cpu (@heed/tensor)';
  } else {
    try {
      gpu = await createGpuBackend({ mode: name as GpuModeName, webgpu: { allowSoftwareAdapter: true } });
      backend = gpu;
      label = `${gpu.name}${gpu.adapter ? ` (${gpu.adapter})` : ''}`;
    } catch (error) {
      unavailable.push(`${name}: ${error instanceof Error ? error.message : String(error)}`);
      continue;
    }
  }
  for (const benchmark of benchmarks) {
    try {
      const figure = await time(benchmark, backend, label, budget, warmupLimit);
      figures.push(figure);
      console.log(`${label.padEnd(40)} ${benchmark.name.padEnd(18)} ${figure.milliseconds!.toFixed(1).padStart(10)} ms  ${figure.rate.padStart(16)}  (${figure.runs} runs, ${figure.note})`);
    } catch (error) {
      figures.push({ backend: label, benchmark: benchmark.name, milliseconds: null, runs: 0, rate: '', note: `failed: ${error instanceof Error ? error.message : String(error)}` });
      console.log(`${label.padEnd(40)} ${benchmark.name.padEnd(18)} failed: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
    }
  }
  await gpu?.destroy();
}
for (const line of unavailable) console.log(`unavailable: ${line}`);
const webgpuLabel = figures.find((figure) => figure.backend.startsWith('gpu.js:webgpu'))?.backend;
if (webgpuLabel) for (const line of targetTable(figures, webgpuLabel, 'cpu (@heed/tensor)')) console.log(line);
const out = argument('out');
if (out) writeFileSync(out, `${JSON.stringify({ date: new Date().toISOString(), node: process.version, figures, unavailable }, null, 2)}\n`);
process.exit(0);
