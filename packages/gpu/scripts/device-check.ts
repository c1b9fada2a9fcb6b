// The real-GPU check, bundled by prepare-device.sh into .device/device-check.mjs and run by
// device-check.sh on a machine with a GPU, Node (carried) and no network: loads Dawn (the
// `webgpu` package) on the machine's Vulkan driver, runs the gpu.js suite on WebGPU
// (conformance, the sdpa/mha/lstm/gru/rnn_tanh reference cases, training against the CPU
// backend), then the benchmarks on WebGPU beside @heed/tensor's CPU backend, ending with the
// issue-15 target table (matmul 4096 TFLOP/s, attention forward + backward at L = 16384 and the
// fused LSTM sweep against the CPU). Writes summary.txt, suite.json and bench.json to --out, each
// section as soon as it finishes. HEED_BENCH_ONLY=matmul-4096,... limits the benchmarks.
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { cpuBackend, type Backend } from '@heed/tensor';
import type { ReferenceDocument } from '@heed/tensor/testing';
import { adapters as attentionAdapters } from '../../attention/test/reference-adapters.js';
import { adapters as rnnAdapters } from '../../rnn/test/reference-adapters.js';
import { adapters as tensorAdapters } from '../../tensor/test/reference-adapters.js';
import { createGpuBackend } from '@heed/gpu';
import { runGpuSuite, type SuiteResult } from '../test/suite.js';
import { benchmarks, targetTable, time, type Figure } from './bench-cases.js';

const argument = (name: string): string | undefined => process.argv.find((value) => value.startsWith(`--${name}=`))?.slice(name.length + 3);
const out = argument('out') ?? '.';
const webgpuDirectory = argument('webgpu') ?? 'webgpu';
const referenceDirectory = argument('reference') ?? 'reference';
const budget = Number(argument('budget') ?? 3);
const started = Date.now();
const summary: string[] = [];

function say(line: string): void {
  const stamped = `[${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s] ${line}`;
  console.log(stamped);
  summary.push(line);
  writeFileSync(join(out, 'summary.txt'), `${summary.join('\n')}\n`);
}

say(`node ${process.version} on ${process.platform}-${process.arch}`);
const dawn = (await import(pathToFileURL(join(webgpuDirectory, 'index.js')).href)) as { create: (flags: string[]) => unknown; globals: Record<string, unknown> };
Object.assign(globalThis, dawn.globals);
const flags = (process.env.HEED_DAWN_FLAGS ?? '').split(',').filter(Boolean);
const gpu = dawn.create(flags) as { requestAdapter(): Promise<{ info?: Record<string, unknown>; limits?: Record<string, unknown> } | null> };
const adapter = await gpu.requestAdapter();
// The info fields are getters on the prototype: read them by name.
const info = adapter?.info ?? {};
const described = ['vendor', 'architecture', 'device', 'description', 'backendType', 'adapterType'].map((key) => `${key}=${String(info[key] as string | undefined ?? '')}`).join(' ');
say(`dawn flags [${flags.join(', ')}]; adapter: ${adapter ? described : 'none'}`);
if (!adapter) {
  say('no WebGPU adapter: the Vulkan loader or driver was not found (see device-check.sh output)');
  process.exit(2);
}

const backend = await createGpuBackend({ mode: 'webgpu', webgpu: { gpu, allowSoftwareAdapter: true } });
say(`backend ${backend.name}: ${backend.adapter ?? ''}`);

// ------------------------------------------------------------------ correctness
const documents = readdirSync(referenceDirectory)
  .filter((file) => file.endsWith('.json'))
  .sort()
  .map((file) => ({ file, document: JSON.parse(readFileSync(join(referenceDirectory, file), 'utf8')) as ReferenceDocument }));
const ops = ['sdpa', 'mha', 'lstm', 'gru', 'rnn_tanh'];
const results: SuiteResult[] = await runGpuSuite(backend, {
  documents,
  adapters: { ...tensorAdapters, ...attentionAdapters, ...rnnAdapters },
  ops,
  trainingSteps: 6,
  onResult: (result) => {
    if (result.status === 'failed') say(`FAIL ${result.group}: ${result.name}: ${result.message?.slice(0, 400)}`);
    if (result.group === 'training') say(`${result.status} training ${result.name}: ${result.message}`);
  },
});
const count = (status: SuiteResult['status']): number => results.filter((result) => result.status === status).length;
say(`suite on ${backend.name}: ${count('passed')} passed, ${count('failed')} failed, ${count('skipped')} skipped (${backend.memory().compiledKernels} kernels compiled)`);
writeFileSync(join(out, 'suite.json'), `${JSON.stringify({ adapter: backend.adapter, results }, null, 2)}\n`);

// ------------------------------------------------------------------ benchmarks
const figures: Figure[] = [];
const contenders: [string, Backend][] = [
  [`${backend.name} (${backend.adapter ?? 'unknown adapter'})`, backend],
  ['cpu (@heed/tensor)', cpuBackend()],
];
const only = process.env.HEED_BENCH_ONLY?.split(',');
for (const benchmark of benchmarks.filter((entry) => !only || only.includes(entry.name))) {
  for (const [label, contender] of contenders) {
    try {
      const figure = await time(benchmark, contender, label, budget, 60);
      figures.push(figure);
      say(`bench ${benchmark.name.padEnd(16)} ${label.slice(0, 40).padEnd(40)} ${figure.milliseconds!.toFixed(2).padStart(10)} ms ${figure.rate.padStart(16)} (${figure.runs} runs, ${figure.note})`);
    } catch (error) {
      say(`bench ${benchmark.name} ${label}: failed: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
    }
    writeFileSync(join(out, 'bench.json'), `${JSON.stringify({ node: process.version, adapter: backend.adapter, figures }, null, 2)}\n`);
  }
}
say('issue-15 targets (WebGPU WGSL kernels against the CPU backend on this machine):');
for (const line of targetTable(figures, contenders[0][0], contenders[1][0])) say(line);
await backend.destroy();
say(`done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
process.exit(count('failed') > 0 ? 1 : 0);
