import { describe, expect, it } from 'vitest';
import { planCpu } from './runtimes.js';
import { wasmFeatures } from './features.js';
import { kernelModuleBytes } from './runtime.js';

/** `f32x4.relaxed_madd` (0xfd 0x105 as LEB128). */
const RELAXED_MADD = [0xfd, 0x85, 0x02];
const count = (bytes: Uint8Array, pattern: readonly number[]): number => {
  let found = 0;
  for (let index = 0; index + pattern.length <= bytes.length; index++) if (pattern.every((byte, offset) => bytes[index + offset] === byte)) found++;
  return found;
};
const features = wasmFeatures();
const engine = typeof process === 'object' ? `Node ${process.versions.node}, V8 ${process.versions.v8}` : 'this engine';

describe('the kernel module variants', () => {
  it('uses fused multiply-add only in the relaxed variant, and both validate where the engine allows', () => {
    const plain = kernelModuleBytes({ threads: 1, relaxed: false });
    const relaxed = kernelModuleBytes({ threads: 1, relaxed: true });
    expect(count(plain, RELAXED_MADD)).toBe(0);
    // gemm micro-kernels, the wide kernel, the exponentials of attention and softmax.
    expect(count(relaxed, RELAXED_MADD)).toBeGreaterThan(50);
    if (features.simd) expect(WebAssembly.validate(plain)).toBe(true);
    expect(WebAssembly.validate(relaxed)).toBe(features.relaxedSimd);
  });

  // vitest.config.ts passes --experimental-wasm-relaxed-simd to the tensor tests on Node < 22, so the
  // relaxed kernels run in every wasm test and the conformance suite; this fails if that stops.
  it.skipIf(typeof process !== 'object' || !features.simd)(`runs the relaxed-SIMD variant in this test process (${engine})`, () => {
    expect(features.relaxedSimd).toBe(true);
    expect(planCpu({ threads: 1 }).relaxedSimd).toBe(true);
    expect(planCpu({ threads: 1, relaxedSimd: false }).relaxedSimd).toBe(false);
  });
});
