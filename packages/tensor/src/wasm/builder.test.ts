import { describe, expect, it } from 'vitest';
import { ModuleBuilder, f32, f32x4, forLoop, i32, seq, signedLeb, unsignedLeb } from './builder.js';

function instantiate(builder: ModuleBuilder): { memory: WebAssembly.Memory; exports: Record<string, (...args: number[]) => number> } {
  const memory = new WebAssembly.Memory({ initial: 1 });
  const instance = new WebAssembly.Instance(new WebAssembly.Module(builder.encode()), { env: { memory } });
  return { memory, exports: instance.exports as Record<string, (...args: number[]) => number> };
}

describe('wasm builder', () => {
  it('encodes LEB128 like the spec examples', () => {
    expect(unsignedLeb(0)).toEqual([0]);
    expect(unsignedLeb(624485)).toEqual([0xe5, 0x8e, 0x26]);
    expect(signedLeb(-123456)).toEqual([0xc0, 0xbb, 0x78]);
    expect(signedLeb(63)).toEqual([63]);
    expect(signedLeb(64)).toEqual([0xc0, 0x00]);
    expect(signedLeb(-1)).toEqual([0x7f]);
  });

  it('builds a module whose scalar and loop code computes what it says', () => {
    const builder = new ModuleBuilder({ initialPages: 1, maximumPages: 1, shared: false });
    builder.function('sumTo', ['i32'], ['i32'], (fn) => {
      const n = fn.param(0, 'i32');
      const [index, total] = fn.locals('i32', 2);
      return seq(total.set(0), forLoop(index, 0, n.get(), 1, total.set(i32.add(total.get(), index.get()))), total.get().code);
    }, true);
    builder.function('hypot', ['f32', 'f32'], ['f32'], (fn) => {
      const x = fn.param(0, 'f32');
      const y = fn.param(1, 'f32');
      return f32.sqrt(f32.add(f32.mul(x.get(), x.get()), f32.mul(y.get(), y.get()))).code;
    }, true);
    const { exports } = instantiate(builder);
    expect(exports.sumTo(10)).toBe(45);
    expect(exports.sumTo(0)).toBe(0);
    expect(exports.hypot(3, 4)).toBe(5);
  });

  it('emits SIMD loads, arithmetic and stores', () => {
    const builder = new ModuleBuilder({ initialPages: 1, maximumPages: 1, shared: false });
    builder.function('axpy', ['i32', 'i32', 'f32'], [], (fn) => {
      const x = fn.param(0, 'i32');
      const y = fn.param(1, 'i32');
      const alpha = fn.param(2, 'f32');
      return f32x4.store(y.get(), f32x4.add(f32x4.load(y.get()), f32x4.mul(f32x4.splat(alpha.get()), f32x4.load(x.get()))));
    }, true);
    const { memory, exports } = instantiate(builder);
    const view = new Float32Array(memory.buffer);
    view.set([1, 2, 3, 4, 10, 20, 30, 40]);
    exports.axpy(0, 16, 0.5);
    expect([...view.subarray(4, 8)]).toEqual([10.5, 21, 31.5, 42]);
  });

  it('refuses a function that was declared but never defined', () => {
    const builder = new ModuleBuilder({ initialPages: 1, maximumPages: 1, shared: false });
    builder.declare('missing', [], []);
    expect(() => builder.encode()).toThrow(/never defined/);
  });
});
