import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runReferenceDocuments, type ReferenceDocument } from '@heed/tensor/testing';
import { describe, expect, it } from 'vitest';
import { makeAdapters } from './reference-adapters.js';

// PyTorch's own numbers for packed sequences (fixtures/generate-packed.py): outputs, final states
// and every gradient, for unsorted lengths, two bidirectional layers, and a length-1 sequence.
const packed = JSON.parse(readFileSync(new URL('./fixtures/packed.json', import.meta.url), 'utf8')) as ReferenceDocument;
// The shared reference cases, here to run the composed implementation too; `pnpm test:reference`
// runs them with the default one. They live beside the clone (CI always has them, and
// $HEED_REFERENCE_DIR may point elsewhere): a missing file fails, never skips.
const repository = fileURLToPath(new URL('../../../', import.meta.url));
const sharedFile = join(resolve(repository, process.env.HEED_REFERENCE_DIR ?? '../shared/reference'), 'recurrent.json');
const shared = existsSync(sharedFile) ? (JSON.parse(readFileSync(sharedFile, 'utf8')) as ReferenceDocument) : null;

it('finds the shared PyTorch reference cases', () => {
  if (!shared) throw new Error(`the PyTorch reference file ${sharedFile} is missing: check out heed's shared/reference beside the clone, or set HEED_REFERENCE_DIR`);
  expect(shared.cases?.length).toBeGreaterThan(0);
});

describe.each(['host', 'composed'] as const)('PyTorch reference cases, %s implementation', (implementation) => {
  const adapters = makeAdapters(implementation);
  const cases = [...(packed.cases ?? []).map((testCase) => ({ testCase, document: packed })), ...(shared?.cases ?? []).map((testCase) => ({ testCase, document: shared! }))];
  it.each(cases.map(({ testCase, document }) => [testCase.name, testCase, document] as const))('%s', (_name, testCase, document) => {
    const [result] = runReferenceDocuments([{ file: 'case', document: { ...document, cases: [testCase] } }], adapters);
    expect(result.status, result.message).toBe('passed');
  });
});
