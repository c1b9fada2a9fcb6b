import { isNode } from './thread-pool.js';

/** What this JavaScript engine offers the WebAssembly kernels. */
export interface WasmFeatures {
  /** WebAssembly with 128-bit SIMD. */
  simd: boolean;
  /** Relaxed SIMD (fused multiply-add). */
  relaxedSimd: boolean;
  /** Shared WebAssembly memory (SharedArrayBuffer; in browsers only when cross-origin isolated). */
  sharedMemory: boolean;
  /** A way to start worker threads (`worker_threads` in Node, `Worker` in browsers). */
  workers: boolean;
  /** Logical processors reported by the platform. */
  hardwareThreads: number;
}

// Smallest modules that use each feature: `(func (result v128) v128.const 0)` and
// `(func (result v128) v128.const 0 v128.const 0 v128.const 0 f32x4.relaxed_madd)`.
const v128Const = [0xfd, 0x0c, ...new Array<number>(16).fill(0)];
const simdProbe = moduleWithBody([...v128Const, 0x0b]);
const relaxedProbe = moduleWithBody([...v128Const, ...v128Const, ...v128Const, 0xfd, 0x85, 0x02, 0x0b]);

function moduleWithBody(body: number[]): Uint8Array<ArrayBuffer> {
  const code = [0x00, ...body];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b,
    0x03, 0x02, 0x01, 0x00,
    0x0a, code.length + 2, 0x01, code.length, ...code,
  ]);
}

function hardwareThreads(): number {
  if (isNode) {
    const os = (globalThis as { process?: { getBuiltinModule?: (name: string) => unknown } }).process?.getBuiltinModule?.('node:os') as
      | { availableParallelism?: () => number; cpus: () => unknown[] }
      | undefined;
    if (os) return os.availableParallelism?.() ?? os.cpus().length;
  }
  const navigatorThreads = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency;
  return navigatorThreads && navigatorThreads > 0 ? navigatorThreads : 1;
}

function sharedMemory(): boolean {
  if (typeof SharedArrayBuffer === 'undefined' || typeof Atomics === 'undefined') return false;
  if (!isNode && (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === false) return false;
  try {
    return new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true }).buffer instanceof SharedArrayBuffer;
  } catch {
    return false;
  }
}

let cached: WasmFeatures | null = null;

/** Detects (once) what the engine supports. */
export function wasmFeatures(): WasmFeatures {
  if (cached) return cached;
  const hasWasm = typeof WebAssembly === 'object' && typeof WebAssembly.validate === 'function';
  const simd = hasWasm && WebAssembly.validate(simdProbe);
  cached = {
    simd,
    relaxedSimd: simd && WebAssembly.validate(relaxedProbe),
    sharedMemory: hasWasm && sharedMemory(),
    workers: isNode || typeof Worker === 'function',
    hardwareThreads: hardwareThreads(),
  };
  return cached;
}
