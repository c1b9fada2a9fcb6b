import { existsSync, readFileSync } from 'node:fs';
import { runReferenceDocuments, type ReferenceDocument } from '@heed/tensor/testing';
import { describe, expect, it } from 'vitest';
import { makeAdapters } from './reference-adapters.js';

// PyTorch's own numbers for packed sequences (fixtures/generate-packed.py): outputs, final states
// and every gradient, for unsorted lengths, two bidirectional layers, and a length-1 sequence.
const packed = JSON.parse(readFileSync(new URL('./fixtures/packed.json', import.meta.url), 'utf8')) as ReferenceDocument;
// The shared reference cases (when the checkout has them), here to run the composed implementation
// too; `pnpm test:reference` runs them with the default one.
const sharedFile = new URL('../../../../shared/reference/recurrent.json', import.meta.url);
const shared = existsSync(sharedFile) ? (JSON.parse(readFileSync(sharedFile, 'utf8')) as ReferenceDocument) : null;

describe.each(['fused', 'composed'] as const)('PyTorch reference cases, %s implementation', (implementation) => {
  const adapters = makeAdapters(implementation);
  const cases = [...(packed.cases ?? []).map((testCase) => ({ testCase, document: packed })), ...(shared?.cases ?? []).map((testCase) => ({ testCase, document: shared! }))];
  it.each(cases.map(({ testCase, document }) => [testCase.name, testCase, document] as const))('%s', (_name, testCase, document) => {
    const [result] = runReferenceDocuments([{ file: 'case', document: { ...document, cases: [testCase] } }], adapters);
    expect(result.status, result.message).toBe('passed');
  });
});
