/**
 * ArrayBuffer accounting: a view of a backend that adds up the bytes of every buffer its kernels
 * return (and every upload), so a call's allocation volume is known exactly, independent of when
 * the garbage collector runs. Host-memory backends only (their handles are typed arrays).
 */
import type { Backend } from '@heed/tensor';

/** A counted backend and its counter. */
export interface CountingBackend {
  backend: Backend;
  /** Sets the count to zero. */
  reset(): void;
  /** Bytes allocated since the last reset. */
  bytes(): number;
}

function sizeOf(value: unknown): number {
  if (ArrayBuffer.isView(value)) return value.byteLength;
  if (value !== null && typeof value === 'object') {
    let total = 0;
    for (const member of Object.values(value)) if (ArrayBuffer.isView(member)) total += member.byteLength;
    return total;
  }
  return 0;
}

const COUNTED = new Set<PropertyKey>(['run', 'runFused', 'upload']);

/**
 * Wraps `inner` so allocations are counted; everything else passes through (the wrapper keeps
 * the inner backend's name, so heed treats it exactly as the backend it wraps).
 *
 * @example
 * ```ts
 * const counted = countingBackend(cpuBackend());
 * setBackend(counted.backend);
 * counted.reset(); model.forward(x); counted.bytes(); // bytes of every tensor the forward made
 * ```
 */
export function countingBackend(inner: Backend): CountingBackend {
  let bytes = 0;
  const wrapped = new Map<PropertyKey, unknown>();
  const backend = new Proxy(inner, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      let bound = wrapped.get(property);
      if (!bound) {
        const method = value as (...args: unknown[]) => unknown;
        bound = COUNTED.has(property)
          ? (...args: unknown[]) => {
              const result = method.apply(target, args);
              bytes += sizeOf(result);
              return result;
            }
          : method.bind(target);
        wrapped.set(property, bound);
      }
      return bound;
    },
  });
  return {
    backend,
    reset: () => {
      bytes = 0;
    },
    bytes: () => bytes,
  };
}
