import type { Backend } from './backend.js';
import { cpuBackend } from './cpu/cpu-backend.js';

let current: Backend | null = null;

/**
 * The backend new tensors are created on (the CPU backend unless {@link setBackend} chose another).
 *
 * @example
 * ```ts
 * console.log(getBackend().name); // "cpu"
 * ```
 */
export function getBackend(): Backend {
  current ??= cpuBackend();
  return current;
}

/**
 * Chooses the backend for tensors created from now on. Tensors already created stay on their
 * backend; move one with `tensor.to(backend)`.
 *
 * @example
 * ```ts
 * setBackend(cpuBackend());
 * ```
 */
export function setBackend(backend: Backend): void {
  current = backend;
}

/**
 * Runs `fn` with `backend` as the current backend, then restores the previous one (for
 * synchronous code; for async code call {@link setBackend}).
 *
 * @example
 * ```ts
 * const y = withBackend(cpuBackend(), () => ones([2, 2]).mul(3));
 * ```
 */
export function withBackend<T>(backend: Backend, fn: () => T): T {
  const previous = current;
  current = backend;
  try {
    return fn();
  } finally {
    current = previous;
  }
}
