// Runs every case of every *.json in $HEED_REFERENCE_DIR (default ../shared/reference) against
// heed, dispatching on `op` and `attrs` through the adapters each package contributes in
// packages/<name>/test/reference-adapters.ts. Ends with "N passed, M failed, K skipped".
//   pnpm test:reference [--verbose] [--backend=<module exporting createBackend()>]
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Backend } from '@heed/tensor';
import { runReferenceDocuments, type ReferenceAdapters, type ReferenceDocument } from '@heed/tensor/testing';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const directory = resolve(root, process.env.HEED_REFERENCE_DIR ?? '../shared/reference');
const verbose = process.argv.includes('--verbose');
const packages = ['tensor', 'scoring', 'attention', 'rnn'];

async function loadAdapters(): Promise<ReferenceAdapters> {
  const all: ReferenceAdapters = {};
  for (const name of packages) {
    const file = join(root, 'packages', name, 'test', 'reference-adapters.ts');
    if (!existsSync(file)) continue;
    const module = (await import(pathToFileURL(file).href)) as { adapters: ReferenceAdapters };
    Object.assign(all, module.adapters);
  }
  return all;
}

async function loadBackend(): Promise<Backend | undefined> {
  const flag = process.argv.find((argument) => argument.startsWith('--backend='));
  if (!flag) return undefined;
  const module = (await import(pathToFileURL(resolve(flag.slice('--backend='.length))).href)) as { createBackend: () => Promise<Backend> | Backend };
  return module.createBackend();
}

if (!existsSync(directory)) {
  console.error(`reference directory not found: ${directory} (set HEED_REFERENCE_DIR)`);
  process.exit(1);
}
const documents = readdirSync(directory)
  .filter((file) => file.endsWith('.json'))
  .sort()
  .map((file) => ({ file, document: JSON.parse(readFileSync(join(directory, file), 'utf8')) as ReferenceDocument }));
const adapters = await loadAdapters();
const backend = await loadBackend();
const results = runReferenceDocuments(documents, adapters, backend ? { backend } : {});

const byFile = new Map<string, { passed: number; failed: number; skipped: number }>();
const skippedOps = new Set<string>();
for (const result of results) {
  const tally = byFile.get(result.file) ?? { passed: 0, failed: 0, skipped: 0 };
  tally[result.status]++;
  byFile.set(result.file, tally);
  if (result.status === 'failed') console.log(`FAIL ${result.file} ${result.name}: ${result.message}`);
  else if (result.status === 'skipped') skippedOps.add(result.op);
  else if (verbose) console.log(`ok   ${result.file} ${result.name}`);
}
console.log(`reference: ${directory}${backend ? ` on ${backend.name}` : ''}`);
for (const [file, tally] of byFile) console.log(`  ${file}: ${tally.passed} passed, ${tally.failed} failed, ${tally.skipped} skipped`);
if (skippedOps.size > 0) console.log(`skipped ops (no package implements them yet): ${[...skippedOps].sort().join(', ')}`);
const count = (status: string): number => results.filter((result) => result.status === status).length;
console.log(`${count('passed')} passed, ${count('failed')} failed, ${count('skipped')} skipped`);
process.exit(count('failed') > 0 ? 1 : 0);
