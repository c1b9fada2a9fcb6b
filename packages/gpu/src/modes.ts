import { BackendError } from '@heed/tensor';
import type * as NodeModule from 'node:module';
import type * as NodeUrl from 'node:url';
import * as gpujs from 'gpu.js';

/** A gpu.js mode this backend can run in. */
export type GpuModeName = 'webgpu' | 'webgl2' | 'webgl' | 'headlessgl' | 'webasm' | 'cpu';
/** A mode to ask for: a concrete one, or `auto` for the best available. */
export type GpuMode = GpuModeName | 'auto';

/** Every concrete mode, fastest first (the order `auto` tries them in). */
export const gpuModes: readonly GpuModeName[] = ['webgpu', 'webgl2', 'webgl', 'headlessgl', 'webasm', 'cpu'];

/** The gpu.js statics this package reads. */
interface GpuStatics {
  new (settings: Record<string, unknown>): unknown;
  isWebGL2Supported: boolean;
  isWebGLSupported: boolean;
  isHeadlessGLSupported: boolean;
  isWebAssemblySupported: boolean;
  isWebGPUSupported: boolean;
}

/** gpu.js is CommonJS in Node and a UMD bundle in browsers; take `GPU` from whichever shape arrived. */
export function gpuClass(): GpuStatics {
  const module = gpujs as unknown as { GPU?: GpuStatics; default?: { GPU?: GpuStatics } };
  const GPU = module.GPU ?? module.default?.GPU;
  if (!GPU) throw new BackendError('createGpuBackend', 'gpu.js did not load (no GPU export)');
  return GPU;
}

/** gpu.js's type detection for kernel arguments. */
export function variableType(): (value: unknown) => string {
  const module = gpujs as unknown as { utils?: GpuUtils; default?: { utils?: GpuUtils } };
  const utils = module.utils ?? module.default?.utils;
  if (!utils) throw new BackendError('createGpuBackend', 'gpu.js did not load (no utils export)');
  return (value) => utils.getVariableType(value, true);
}

let dawnLoaded = false;
let webGpuUsers = 0;

/** Counts a backend on the shared WebGPU device (see {@link destroyWebGpuDevice}). */
export function useWebGpuDevice(): void {
  webGpuUsers++;
}

/**
 * Destroys gpu.js's shared WebGPU device and, when this package loaded Dawn itself, drops the
 * `navigator.gpu` it installed: Dawn keeps Node's event loop alive while that reference exists.
 */
export async function destroyWebGpuDevice(): Promise<void> {
  // gpu.js shares one device between GPU instances: keep it while another backend uses it.
  webGpuUsers = Math.max(0, webGpuUsers - 1);
  if (webGpuUsers > 0) return;
  const module = gpujs as unknown as { WebGPUContext?: { destroy(): Promise<void> }; default?: { WebGPUContext?: { destroy(): Promise<void> } } };
  await (module.WebGPUContext ?? module.default?.WebGPUContext)?.destroy();
  if (dawnLoaded) {
    dawnLoaded = false;
    const global = globalThis as { navigator?: { gpu?: unknown } };
    if (global.navigator) Reflect.deleteProperty(global.navigator, 'gpu');
  }
}

interface GpuUtils {
  getVariableType(value: unknown, strictIntegers: boolean): string;
}

const isNode = (): boolean => typeof process !== 'undefined' && typeof process.versions === 'object' && typeof process.versions.node === 'string';

/** Options for finding a WebGPU adapter. */
export interface WebGpuOptions {
  /**
   * A `GPU` object (what `navigator.gpu` is in browsers). In Node, when neither this nor
   * `navigator.gpu` exists, the backend loads the `webgpu` package (Dawn) itself.
   */
  gpu?: unknown;
  /** Flags for Dawn's `create()` in Node, such as `backend=vulkan` or `adapter=NAME`. */
  dawnFlags?: string[];
  /** Allow software adapters (SwiftShader) in `auto` mode; explicit `webgpu` always allows them. */
  allowSoftwareAdapter?: boolean;
}

interface AdapterLike {
  info?: { vendor?: string; architecture?: string; description?: string; device?: string; isFallbackAdapter?: boolean };
  isFallbackAdapter?: boolean;
}

/** A description of the WebGPU adapter, or null with the reason it is unavailable. */
export interface WebGpuProbe {
  available: boolean;
  software: boolean;
  description: string;
}

/** Makes `navigator.gpu` exist (loading Dawn in Node when needed) and asks for an adapter. */
export async function probeWebGpu(options: WebGpuOptions = {}): Promise<WebGpuProbe> {
  const global = globalThis as { navigator?: { gpu?: unknown } };
  if (options.gpu) installNavigatorGpu(options.gpu);
  if (!global.navigator?.gpu && isNode()) {
    const reason = await loadDawn(options.dawnFlags ?? []);
    if (reason) return { available: false, software: false, description: reason };
  }
  const gpu = global.navigator?.gpu as { requestAdapter?: () => Promise<AdapterLike | null> } | undefined;
  if (!gpu?.requestAdapter) return { available: false, software: false, description: 'navigator.gpu is missing (this browser or runtime has no WebGPU)' };
  let adapter: AdapterLike | null;
  try {
    adapter = await gpu.requestAdapter();
  } catch (error) {
    return { available: false, software: false, description: `requestAdapter failed: ${String(error)}` };
  }
  if (!adapter) {
    const advice = isNode()
      ? 'no usable GPU driver; point VK_DRIVER_FILES or VK_ICD_FILENAMES at a Vulkan driver'
      : 'the browser offers no WebGPU adapter here: the GPU may be blocklisted, disabled (as in headless or --disable-gpu runs) or absent; see chrome://gpu';
    return { available: false, software: false, description: `navigator.gpu.requestAdapter() found no adapter (${advice})` };
  }
  const info = adapter.info ?? {};
  const description = [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' ') || 'unknown adapter';
  const software = Boolean(adapter.isFallbackAdapter ?? info.isFallbackAdapter) || /swiftshader|llvmpipe|software|lavapipe/i.test(description);
  return { available: true, software, description };
}

function installNavigatorGpu(gpu: unknown): void {
  const global = globalThis as { navigator?: { gpu?: unknown } };
  if (global.navigator) {
    try {
      Object.defineProperty(global.navigator, 'gpu', { value: gpu, configurable: true });
      return;
    } catch {
      // fall through: replace the object
    }
  }
  Object.defineProperty(globalThis, 'navigator', { value: { ...(global.navigator ?? {}), gpu }, configurable: true, writable: true });
}

/** Loads the `webgpu` package (Dawn for Node) that gpu.js depends on; returns a reason on failure. */
async function loadDawn(flags: string[]): Promise<string | null> {
  try {
    // Resolved from gpu.js's own dependencies; the names are variables so bundlers leave them alone.
    const moduleName = 'node:module';
    const { createRequire } = (await import(/* @vite-ignore */ moduleName)) as typeof NodeModule;
    const urlName = 'node:url';
    const { pathToFileURL } = (await import(/* @vite-ignore */ urlName)) as typeof NodeUrl;
    const require = createRequire(import.meta.url);
    const gpuPath = require.resolve('gpu.js');
    const webgpuPath = createRequire(gpuPath).resolve('webgpu');
    const dawn = (await import(/* @vite-ignore */ pathToFileURL(webgpuPath).href)) as { create: (flags: string[]) => unknown; globals: Record<string, unknown> };
    Object.assign(globalThis, dawn.globals);
    installNavigatorGpu(dawn.create(flags));
    dawnLoaded = true;
    return null;
  } catch (error) {
    return `the webgpu (Dawn) package did not load: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`;
  }
}

/** Why a synchronous mode is unavailable here, or null when it is available. */
export function syncModeProblem(mode: Exclude<GpuModeName, 'webgpu'>): string | null {
  const GPU = gpuClass();
  switch (mode) {
    case 'cpu':
      return null;
    case 'webasm':
      return GPU.isWebAssemblySupported ? null : 'WebAssembly (with SIMD) is not supported by this runtime';
    case 'headlessgl':
      if (!isNode()) return 'headlessgl runs only in Node';
      return GPU.isHeadlessGLSupported
        ? null
        : 'the optional `gl` module is not built or cannot create a context (build it with the package README steps, and run under an X server such as `xvfb-run -a`)';
    case 'webgl2':
      if (isNode()) return 'webgl2 runs only in browsers (use headlessgl or webgpu in Node)';
      return GPU.isWebGL2Supported ? null : 'this browser has no WebGL2 context';
    case 'webgl':
      if (isNode()) return 'webgl runs only in browsers (use headlessgl or webgpu in Node)';
      return GPU.isWebGLSupported ? null : 'this browser has no WebGL context';
  }
}

/** The mode chosen by {@link selectMode}, and why it differs from the request. */
export interface ModeSelection {
  mode: GpuModeName;
  fallbackReason: string | null;
  adapter: string | null;
}

/**
 * Picks the mode: the requested one when available (else a `BackendError`, or with `fallback`
 * the `auto` choice), or for `auto` the first available of {@link gpuModes}. `auto` skips
 * software WebGPU adapters (slower than webasm) unless `webgpu.allowSoftwareAdapter` is set.
 */
export async function selectMode(
  requested: GpuMode,
  options: { fallback?: boolean; synchronous?: boolean; webgpu?: WebGpuOptions },
): Promise<ModeSelection> {
  if (requested !== 'auto' && !(gpuModes as readonly string[]).includes(requested)) {
    throw new BackendError('createGpuBackend', `unknown mode "${String(requested)}"; use one of auto, ${gpuModes.join(', ')}`);
  }
  const reasons: string[] = [];
  if (requested !== 'auto') {
    const problem = requested === 'webgpu' ? await webGpuProblem(options.webgpu ?? {}, true) : syncModeProblem(requested);
    if (problem === null) return { mode: requested, fallbackReason: null, adapter: requested === 'webgpu' ? lastAdapter : null };
    if (!options.fallback) throw new BackendError('createGpuBackend', `mode ${requested} is unavailable: ${problem}`);
    reasons.push(`${requested}: ${problem}`);
  }
  for (const mode of gpuModes) {
    if (mode === requested) continue;
    if (mode === 'webgpu') {
      if (options.synchronous) continue;
      const problem = await webGpuProblem(options.webgpu ?? {}, options.webgpu?.allowSoftwareAdapter ?? false);
      if (problem === null) return { mode, fallbackReason: reasons.length > 0 ? reasons.join('; ') : null, adapter: lastAdapter };
      reasons.push(`webgpu: ${problem}`);
      continue;
    }
    const inBrowserOnly = mode === 'webgl2' || mode === 'webgl';
    if (isNode() === inBrowserOnly) continue;
    const problem = syncModeProblem(mode);
    if (problem === null) return { mode, fallbackReason: reasons.length > 0 ? reasons.join('; ') : null, adapter: null };
    reasons.push(`${mode}: ${problem}`);
  }
  throw new BackendError('createGpuBackend', `no gpu.js mode is available: ${reasons.join('; ')}`);
}

let lastAdapter: string | null = null;

async function webGpuProblem(options: WebGpuOptions, allowSoftware: boolean): Promise<string | null> {
  const probe = await probeWebGpu(options);
  if (!probe.available) return probe.description;
  lastAdapter = probe.description;
  if (probe.software && !allowSoftware) return `only a software adapter (${probe.description}) is available, slower than webasm`;
  return null;
}
