// Runs the PyTorch reference cases on one gpu.js mode with the asynchronous runner (so WebGPU,
// which has no dataSync, runs them too). Adapters come from every package, as in
// scripts/reference.ts. Ends with "N passed, M failed, K skipped".
//   node --conditions=@heed/source --import tsx packages/gpu/scripts/reference-gpu.ts --mode=webasm [--ops=sdpa,mha] [--verbose]
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { runReferenceDocumentsAsync, type ReferenceAdapters, type ReferenceDocument } from '@heed/tensor/testing';
import { createGpuBackend, type GpuMode } from '../src/index.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const argument = (name: string): string | undefined => process.argv.find((value) => value.startsWith(`--${name}=`))?.slice(name.length + 3);
const mode = (argument('mode') ?? 'auto') as GpuMode;
const ops = argument('ops')?.split(',');
const verbose = process.argv.includes('--verbose');
const directory = resolve(root, process.env.HEED_REFERENCE_DIR ?? '../shared/reference');

const adapters: ReferenceAdapters = {};
for (const name of ['tensor', 'scoring', 'attention', 'rnn']) {
  const file = join(root, 'packages', name, 'test', 'reference-adapters.ts');
  if (existsSync(file)) Object.assign(adapters, ((await import(pathToFileURL(file).href)) as { adapters: ReferenceAdapters }).adapters);
}
const documents = existsSync(directory)
  ? readdirSync(directory)
      .filter((file) => file.endsWith('.json'))
      .sort()
      .map((file) => ({ file, document: JSON.parse(readFileSync(join(directory, file), 'utf8')) as ReferenceDocument }))
  : [];
if (documents.length === 0) console.log(`no reference files in ${directory} (set HEED_REFERENCE_DIR)`);

const backend = await createGpuBackend({ mode, webgpu: { allowSoftwareAdapter: true } });
const started = Date.now();
const results = await runReferenceDocumentsAsync(documents, adapters, { backend, ops });
let passed = 0;
let failed = 0;
let skipped = 0;
for (const result of results) {
  if (result.status === 'passed') passed++;
  else if (result.status === 'failed') failed++;
  else skipped++;
  if (result.status === 'failed') console.log(`FAIL ${result.file} ${result.name}: ${result.message?.slice(0, 500)}`);
  else if (verbose && result.status === 'passed') console.log(`ok   ${result.file} ${result.name}`);
}
console.log(`reference on ${backend.name} (${((Date.now() - started) / 1000).toFixed(1)} s, ${backend.memory().compiledKernels} kernels)`);
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
await backend.destroy();
process.exit(failed > 0 ? 1 : 0);
