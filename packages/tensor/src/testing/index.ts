/**
 * `@heed/tensor/testing`: what heed's own tests use, for backends and packages built on heed:
 * `compareArrays`/`assertAllclose`, a finite-difference `gradcheck`, the backend conformance
 * cases, and the runner for PyTorch reference files.
 *
 * @packageDocumentation
 */
export { assertAllclose, compareArrays, type Comparison, type Tolerance } from './allclose.js';
export { gradcheck, type GradcheckOptions, type GradcheckResult } from './gradcheck.js';
export {
  backendConformanceCases,
  conformanceCasesByKernel,
  runConformanceCase,
  runConformanceCaseAsync,
  type ConformanceCase,
  type ConformanceKernelName,
  type KernelCases,
} from './conformance.js';
export { attentionOracle, gruOracle, lstmOracle, rnnOracle, type AttentionOracleInputs, type SweepOracleInputs } from './oracles.js';
export {
  runReferenceCase,
  runReferenceCaseAsync,
  runReferenceDocuments,
  runReferenceDocumentsAsync,
  type ReferenceDocument,
  type ReferenceAdapter,
  type ReferenceAdapters,
  type ReferenceArray,
  type ReferenceCase,
  type ReferenceEntry,
  type ReferenceResult,
  type ReferenceValue,
} from './reference.js';
