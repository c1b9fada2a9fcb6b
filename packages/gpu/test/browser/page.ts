// The browser half of the gpu.js suite: scripts/test-gpu.mjs bundles this (with every package's
// reference adapters, see its generated entry) and calls `heedRunMode` from Playwright.
import type { ReferenceAdapters, ReferenceDocument } from '@heed/tensor/testing';
import { createGpuBackend, type GpuMode } from '../../src/index.js';
import { runGpuSuite, type SuiteResult } from '../suite.js';

/** What one mode's run sends back to Node. */
export interface PageRun {
  backend: string;
  detail: string;
  results: SuiteResult[];
}

/** Installs `globalThis.heedRunMode(mode, documents, ops, steps)` for Playwright to call. */
export function installPageRunner(adapters: ReferenceAdapters): void {
  (globalThis as { heedRunMode?: unknown }).heedRunMode = async (
    mode: GpuMode,
    documents: { file: string; document: ReferenceDocument }[],
    ops: string[] | undefined,
    steps: number,
  ): Promise<PageRun> => {
    try {
      const backend = await createGpuBackend({ mode, webgpu: { allowSoftwareAdapter: true } });
      const results = await runGpuSuite(backend, { documents, adapters, ops, trainingSteps: steps });
      const detail = [backend.adapter, `${backend.memory().compiledKernels} kernels compiled`].filter(Boolean).join('; ');
      await backend.flush();
      return { backend: backend.name, detail, results };
    } catch (error) {
      return { backend: mode, detail: '', results: [{ group: 'conformance', name: 'create backend', status: 'failed', message: String(error) }] };
    }
  };
}
