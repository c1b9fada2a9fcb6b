// Runs the gpu.js suite (conformance, PyTorch reference cases, training, memory) on one mode in
// Node and prints one line per failure, a summary, and a `RESULT {json}` line for test-gpu.mjs.
// With --expose-gc the suite also runs the memory probe (a training loop must not grow memory).
//   node --expose-gc --conditions=@heed/source --import tsx packages/gpu/scripts/run-mode.ts --mode=webasm [--ops=sdpa,mha] [--steps=6] [--verbose]
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { ReferenceAdapters, ReferenceDocument } from '@heed/tensor/testing';
import { createGpuBackend, type GpuMode } from '@heed/gpu';
import { runGpuSuite, type SuiteResult } from '../test/suite.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const argument = (name: string): string | undefined => process.argv.find((value) => value.startsWith(`--${name}=`))?.slice(name.length + 3);
const mode = (argument('mode') ?? 'auto') as GpuMode;
const ops = argument('ops')?.split(',').filter(Boolean);
const steps = Number(argument('steps') ?? 6);
const verbose = process.argv.includes('--verbose');

/** Every package's reference adapters (as scripts/reference.ts loads them). */
export async function loadAdapters(): Promise<ReferenceAdapters> {
  const adapters: ReferenceAdapters = {};
  for (const name of ['tensor', 'scoring', 'attention', 'rnn']) {
    const file = join(root, 'packages', name, 'test', 'reference-adapters.ts');
    if (existsSync(file)) Object.assign(adapters, ((await import(pathToFileURL(file).href)) as { adapters: ReferenceAdapters }).adapters);
  }
  return adapters;
}

/** The reference files of $HEED_REFERENCE_DIR (default ../shared/reference). */
export function loadDocuments(): { file: string; document: ReferenceDocument }[] {
  const directory = resolve(root, process.env.HEED_REFERENCE_DIR ?? '../shared/reference');
  if (!existsSync(directory)) throw new Error(`reference directory not found: ${directory} (check out shared/reference beside the clone, or set HEED_REFERENCE_DIR)`);
  return readdirSync(directory)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => ({ file, document: JSON.parse(readFileSync(join(directory, file), 'utf8')) as ReferenceDocument }));
}

const started = Date.now();
let results: SuiteResult[] = [];
let backendName: string = mode;
let detail = '';
try {
  const backend = await createGpuBackend({ mode, webgpu: { allowSoftwareAdapter: true } });
  backendName = backend.name;
  detail = [backend.adapter, backend.fallbackReason].filter(Boolean).join('; ');
  const onResult = (result: SuiteResult): void => {
    if (result.status === 'failed') console.log(`FAIL ${backendName} ${result.group}: ${result.name}: ${result.message?.slice(0, 600)}`);
    else if (verbose || result.group === 'training' || result.group === 'memory') console.log(`${result.status === 'passed' ? 'ok  ' : 'skip'} ${backendName} ${result.group}: ${result.name}${result.message ? ` (${result.message})` : ''}`);
  };
  results = await runGpuSuite(backend, { documents: loadDocuments(), adapters: await loadAdapters(), ops, trainingSteps: steps, onResult });
  detail += `${detail ? '; ' : ''}${backend.memory().compiledKernels} kernels compiled`;
  await backend.destroy();
} catch (error) {
  console.log(`FAIL ${mode}: ${error instanceof Error ? error.message : String(error)}`);
  results = [{ group: 'conformance', name: 'create backend', status: 'failed', message: String(error) }];
}
const count = (status: SuiteResult['status']): number => results.filter((result) => result.status === status).length;
const seconds = (Date.now() - started) / 1000;
console.log(`${backendName}: ${count('passed')} passed, ${count('failed')} failed, ${count('skipped')} skipped (${seconds.toFixed(1)} s${detail ? `; ${detail}` : ''})`);
console.log(`RESULT ${JSON.stringify({ mode, backend: backendName, passed: count('passed'), failed: count('failed'), skipped: count('skipped'), seconds, detail })}`);
process.exit(count('failed') > 0 ? 1 : 0);
