// The suite every gpu.js mode runs, in Node (scripts/run-mode.ts) and in headless Chromium
// (the bundled test/browser/entry.ts): the backend conformance cases, the PyTorch reference cases
// (through every package's adapters), and the two training runs against the CPU backend. Reads
// are all `await tensor.data()`, so WebGPU runs it unchanged.
import { cpuBackend, tensor, withBackend } from '@heed/tensor';
import { backendConformanceCases, runConformanceCaseAsync, runReferenceDocumentsAsync, type ReferenceAdapters, type ReferenceDocument } from '@heed/tensor/testing';
import { createGpuBackend, type GpuBackend } from '../src/index.js';
import { extraCases } from './extra-cases.js';
import { lossDifference, trainAttention, trainLstm } from './training.js';

/** One check's outcome. */
export interface SuiteResult {
  group: 'conformance' | 'reference' | 'training' | 'memory';
  name: string;
  status: 'passed' | 'failed' | 'skipped';
  message?: string;
}

/** What to run. */
export interface SuiteOptions {
  documents: { file: string; document: ReferenceDocument }[];
  adapters: ReferenceAdapters;
  /** Reference ops to run (all when absent). */
  ops?: readonly string[];
  /** Training steps per model (0 skips training). */
  trainingSteps?: number;
  /** Called after each result, for progress output. */
  onResult?: (result: SuiteResult) => void;
}

const describeError = (error: unknown): string => (error instanceof Error ? `${error.name}: ${error.message}` : String(error));

/** Runs the suite on `backend`; never throws (a thrown check is a failed result). */
export async function runGpuSuite(backend: GpuBackend, options: SuiteOptions): Promise<SuiteResult[]> {
  const results: SuiteResult[] = [];
  const report = (result: SuiteResult): void => {
    results.push(result);
    options.onResult?.(result);
  };
  for (const testCase of backendConformanceCases()) {
    if (testCase.requires && !backend.supports?.(testCase.requires)) {
      report({ group: 'conformance', name: testCase.name, status: 'skipped', message: `needs ${testCase.requires}` });
      continue;
    }
    try {
      const problem = await runConformanceCaseAsync(testCase, backend);
      report({ group: 'conformance', name: testCase.name, status: problem ? 'failed' : 'passed', message: problem ?? undefined });
    } catch (error) {
      report({ group: 'conformance', name: testCase.name, status: 'failed', message: `threw ${describeError(error)}` });
    }
  }
  // The same mode with tiny attention tiles, so the fused kernels run over many key tiles (and on
  // WebGPU with the key and query loops split over three workgroups).
  const tiled = await createGpuBackend({ mode: backend.mode, attentionTileElements: 6, attentionKeySplits: 3, webgpu: { allowSoftwareAdapter: true } });
  for (const extra of extraCases(tiled)) {
    try {
      const problem = await extra.run(backend);
      report({ group: 'conformance', name: extra.name, status: problem ? 'failed' : 'passed', message: problem ?? undefined });
    } catch (error) {
      report({ group: 'conformance', name: extra.name, status: 'failed', message: `threw ${describeError(error)}` });
    }
  }
  await tiled.destroy();
  const reference = await runReferenceDocumentsAsync(options.documents, options.adapters, { backend, ops: options.ops });
  for (const result of reference) {
    if (result.status === 'skipped' && options.ops && !options.ops.includes(result.op)) continue;
    report({ group: 'reference', name: `${result.file} ${result.name}`, status: result.status, message: result.message });
  }
  const steps = options.trainingSteps ?? 6;
  if (steps > 0) {
    for (const [name, train] of [['attention', trainAttention], ['lstm', trainLstm]] as const) {
      try {
        const got = await train(backend, steps);
        const want = await train(cpuBackend(), steps);
        const difference = lossDifference(got, want);
        const message = `losses ${got.map((value) => value.toFixed(5)).join(' ')}; largest relative difference from cpu ${difference.toExponential(2)}`;
        report({ group: 'training', name: `${name}, ${steps} Adam steps`, status: difference < 1e-4 ? 'passed' : 'failed', message });
      } catch (error) {
        report({ group: 'training', name: `${name}, ${steps} Adam steps`, status: 'failed', message: `threw ${describeError(error)}` });
      }
    }
  }
  const collect = (globalThis as { gc?: () => void }).gc;
  if (collect && steps > 0) {
    // The memory probe: with the garbage collector run after every step, a training loop must
    // not grow the device's live handles (the tensor core frees them through a FinalizationRegistry).
    try {
      const live: number[] = [];
      await trainLstm(backend, 16, async () => {
        for (let round = 0; round < 3; round++) {
          collect();
          await new Promise((resolve) => setTimeout(resolve, 0));
        }
        await backend.flush();
        live.push(backend.memory().liveHandles);
      });
      const growth = live[15] - live[3];
      report({ group: 'memory', name: 'a training loop does not grow device memory', status: growth <= 8 ? 'passed' : 'failed', message: `live handles after steps 4 and 16: ${live[3]}, ${live[15]}` });
    } catch (error) {
      report({ group: 'memory', name: 'a training loop does not grow device memory', status: 'failed', message: `threw ${describeError(error)}` });
    }
  }
  try {
    // dispose() frees device memory at once, and a disposed tensor cannot be used again.
    const before = backend.memory().liveHandles;
    const x = withBackend(backend, () => tensor([1, 2, 3]).exp());
    await x.data();
    x.dispose();
    const after = backend.memory().liveHandles;
    const sync = backend.asynchronous ? (() => { try { x.dataSync(); return 'dataSync did not throw'; } catch { return null; } })() : null;
    const ok = after <= before + 1 && sync === null;
    report({ group: 'memory', name: 'dispose releases device memory', status: ok ? 'passed' : 'failed', message: ok ? undefined : `live handles ${before} → ${after}; ${sync ?? ''}` });
  } catch (error) {
    report({ group: 'memory', name: 'dispose releases device memory', status: 'failed', message: `threw ${describeError(error)}` });
  }
  return results;
}
