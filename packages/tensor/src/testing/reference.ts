import type { Backend, DType } from '../backend.js';
import { getBackend, withBackend } from '../backend-registry.js';
import { HeedError } from '../errors.js';
import { Tensor } from '../tensor.js';
import { compareArrays, type Tolerance } from './allclose.js';

/** An array in a reference file: `{shape, data, dtype?}`, row-major. */
export interface ReferenceArray {
  shape: number[];
  data: (number | boolean)[];
  dtype?: 'float32' | 'int32' | 'bool';
}

/** One value of a case: an array or a list of arrays. */
export type ReferenceEntry = ReferenceArray | ReferenceArray[];

/** One reference case, as `../shared/reference/README.md` defines it. */
export interface ReferenceCase {
  name: string;
  op: string;
  attrs: Record<string, unknown>;
  inputs: Record<string, ReferenceEntry>;
  outputs: Record<string, ReferenceEntry>;
  grad?: { seed: Record<string, ReferenceArray>; inputs: Record<string, ReferenceArray> };
}

/** A value handed to or returned by an adapter. */
export type ReferenceValue = Tensor | Tensor[];

/**
 * Computes a case's outputs with heed. Inputs named in the case's `grad.inputs` arrive as leaves
 * that require grad; the runner seeds the outputs and checks their gradients.
 */
export type ReferenceAdapter = (
  inputs: Record<string, ReferenceValue>,
  attrs: Record<string, unknown>,
) => Record<string, ReferenceValue>;

/** Adapters by op name; each package contributes those of its own ops. */
export type ReferenceAdapters = Record<string, ReferenceAdapter>;

/** The outcome of one case. */
export interface ReferenceResult {
  file: string;
  name: string;
  op: string;
  status: 'passed' | 'failed' | 'skipped';
  message?: string;
}

function isArray(entry: ReferenceEntry): entry is ReferenceArray {
  return !Array.isArray(entry);
}

function toTensor(array: ReferenceArray, requiresGrad: boolean, backend: Backend): Tensor {
  const dtype: DType = array.dtype ?? 'float32';
  const values = array.data.map(Number);
  const data = dtype === 'float32' ? Float32Array.from(values) : dtype === 'int32' ? Int32Array.from(values) : Uint8Array.from(values);
  const tensor = Tensor.fromData(data, array.shape, dtype, backend);
  if (requiresGrad && dtype === 'float32') tensor.requiresGrad = true;
  return tensor;
}

/** One value to compare: what heed computed (if anything) and what PyTorch says. */
interface Check {
  label: string;
  got: Tensor | undefined;
  want: ReferenceArray;
}

function compareData(check: Check, data: ArrayLike<number> | null, tolerance: Tolerance): string | null {
  const { label, got, want } = check;
  if (!got || !data) return `${label}: missing`;
  if (got.shape.join(',') !== want.shape.join(',')) return `${label}: shape [${got.shape.join(', ')}], want [${want.shape.join(', ')}]`;
  const result = compareArrays(data, want.data.map(Number), tolerance);
  return result.ok ? null : `${label}: ${result.message}`;
}

/** Runs the adapter (and the backward pass) on `backend`; returns what to compare, unread. */
function collectChecks(testCase: ReferenceCase, adapter: ReferenceAdapter, backend: Backend): { checks: Check[]; problems: string[] } {
  return withBackend(backend, () => {
    const wantsGrad = new Set(Object.keys(testCase.grad?.inputs ?? {}));
    const inputs: Record<string, ReferenceValue> = {};
    for (const [name, entry] of Object.entries(testCase.inputs)) {
      inputs[name] = isArray(entry) ? toTensor(entry, wantsGrad.has(name), backend) : entry.map((item) => toTensor(item, false, backend));
    }
    const outputs = adapter(inputs, testCase.attrs);
    const checks: Check[] = [];
    const problems: string[] = [];
    for (const [name, want] of Object.entries(testCase.outputs)) {
      const got = outputs[name];
      if (isArray(want)) {
        checks.push({ label: name, got: got instanceof Tensor ? got : undefined, want });
      } else {
        const list = Array.isArray(got) ? got : [];
        if (list.length !== want.length) problems.push(`${name}: ${list.length} items, want ${want.length}`);
        want.forEach((item, index) => checks.push({ label: `${name}[${index}]`, got: list[index], want: item }));
      }
    }
    if (testCase.grad) {
      let loss: Tensor | null = null;
      for (const [name, seed] of Object.entries(testCase.grad.seed)) {
        const out = outputs[name];
        if (!(out instanceof Tensor)) {
          problems.push(`grad seed ${name}: output missing`);
          continue;
        }
        const term = out.mul(toTensor(seed, false, backend)).sum();
        loss = loss ? loss.add(term) : term;
      }
      if (loss && loss.requiresGrad) loss.backward();
      for (const [name, want] of Object.entries(testCase.grad.inputs)) {
        const input = inputs[name];
        if (!(input instanceof Tensor)) continue;
        const grad = input.grad ?? Tensor.fromData(new Float32Array(input.size), input.shape, 'float32', backend);
        checks.push({ label: `grad ${name}`, got: grad, want });
      }
    }
    return { checks, problems };
  });
}

/** Runs one case with `adapters` on `backend`; returns null on success or a description of the failure. */
export function runReferenceCase(testCase: ReferenceCase, adapter: ReferenceAdapter, tolerance: Tolerance, backend: Backend): string | null {
  const { checks, problems } = collectChecks(testCase, adapter, backend);
  for (const check of checks) {
    const problem = compareData(check, check.got ? check.got.dataSync() : null, tolerance);
    if (problem) problems.push(problem);
  }
  return problems.length > 0 ? problems.join('; ') : null;
}

/** {@link runReferenceCase} for backends that read asynchronously (reads with `await tensor.data()`). */
export async function runReferenceCaseAsync(testCase: ReferenceCase, adapter: ReferenceAdapter, tolerance: Tolerance, backend: Backend): Promise<string | null> {
  const { checks, problems } = collectChecks(testCase, adapter, backend);
  const data = await Promise.all(checks.map((check) => (check.got ? check.got.data() : Promise.resolve(null))));
  checks.forEach((check, index) => {
    const problem = compareData(check, data[index], tolerance);
    if (problem) problems.push(problem);
  });
  return problems.length > 0 ? problems.join('; ') : null;
}

/** A parsed reference file. */
export interface ReferenceDocument {
  tolerance?: Tolerance;
  cases?: ReferenceCase[];
}

/** A case ready to run: where it came from, its adapter (null = skipped) and its tolerance. */
interface PlannedCase {
  base: Pick<ReferenceResult, 'file' | 'name' | 'op'>;
  testCase: ReferenceCase;
  adapter: ReferenceAdapter | null;
  tolerance: Tolerance;
}

/** Every case of `documents`, with the adapter for its op (null when no adapter applies). */
function* plannedCases(
  documents: readonly { file: string; document: ReferenceDocument }[],
  adapters: ReferenceAdapters,
  ops: readonly string[] | undefined,
): Generator<PlannedCase> {
  for (const { file, document } of documents) {
    const tolerance = document.tolerance ?? { abs: 1e-4, rel: 1e-4 };
    for (const testCase of document.cases ?? []) {
      const adapter: ReferenceAdapter | undefined = adapters[testCase.op];
      const runs = adapter !== undefined && (!ops || ops.includes(testCase.op));
      yield { base: { file, name: testCase.name, op: testCase.op }, testCase, adapter: runs ? adapter : null, tolerance };
    }
  }
}

/** The result of a case from its adapter's problem (null = passed) or what it threw. */
function resultOf(base: PlannedCase['base'], outcome: { problem: string | null } | { error: unknown }): ReferenceResult {
  if ('error' in outcome) {
    const { error } = outcome;
    const message = HeedError.isInstance(error) ? error.message : error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    return { ...base, status: 'failed', message: `threw ${message}` };
  }
  return outcome.problem ? { ...base, status: 'failed', message: outcome.problem } : { ...base, status: 'passed' };
}

function skipped(base: PlannedCase['base']): ReferenceResult {
  return { ...base, status: 'skipped', message: `no adapter for op ${base.op}` };
}

/**
 * Runs every case of the given reference documents with `adapters`, dispatching generically on
 * `op` and `attrs` (never on case names). A case whose op has no adapter is skipped. Reading the
 * files is left to the caller, so this runs in browsers too.
 */
export function runReferenceDocuments(
  documents: readonly { file: string; document: ReferenceDocument }[],
  adapters: ReferenceAdapters,
  options: { backend?: Backend; ops?: readonly string[] } = {},
): ReferenceResult[] {
  const backend = options.backend ?? getBackend();
  const results: ReferenceResult[] = [];
  for (const { base, testCase, adapter, tolerance } of plannedCases(documents, adapters, options.ops)) {
    if (!adapter) {
      results.push(skipped(base));
      continue;
    }
    try {
      results.push(resultOf(base, { problem: runReferenceCase(testCase, adapter, tolerance, backend) }));
    } catch (error) {
      results.push(resultOf(base, { error }));
    }
  }
  return results;
}

/**
 * {@link runReferenceDocuments} for backends that read asynchronously (WebGPU); works on every
 * backend.
 *
 * @example
 * ```ts
 * const results = await runReferenceDocumentsAsync(documents, adapters, { backend });
 * ```
 */
export async function runReferenceDocumentsAsync(
  documents: readonly { file: string; document: ReferenceDocument }[],
  adapters: ReferenceAdapters,
  options: { backend?: Backend; ops?: readonly string[] } = {},
): Promise<ReferenceResult[]> {
  const backend = options.backend ?? getBackend();
  const results: ReferenceResult[] = [];
  for (const { base, testCase, adapter, tolerance } of plannedCases(documents, adapters, options.ops)) {
    if (!adapter) {
      results.push(skipped(base));
      continue;
    }
    try {
      results.push(resultOf(base, { problem: await runReferenceCaseAsync(testCase, adapter, tolerance, backend) }));
    } catch (error) {
      results.push(resultOf(base, { error }));
    }
  }
  return results;
}
