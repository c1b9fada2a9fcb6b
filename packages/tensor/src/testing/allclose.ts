import type { Tensor } from '../tensor.js';

/** `|got − want| ≤ abs + rel·|want|` elementwise. */
export interface Tolerance {
  abs: number;
  rel: number;
}

/** The result of {@link compareArrays}. */
export interface Comparison {
  ok: boolean;
  /** The largest `|got − want|`. */
  maxError: number;
  message: string;
}

/**
 * Compares two arrays elementwise; NaN matches only NaN and infinities must match exactly.
 *
 * @example
 * ```ts
 * compareArrays(x.dataSync(), [1, 2, 3], { abs: 1e-5, rel: 1e-5 }).ok;
 * ```
 */
export function compareArrays(got: ArrayLike<number>, want: ArrayLike<number>, tolerance: Tolerance): Comparison {
  if (got.length !== want.length) return { ok: false, maxError: Infinity, message: `${got.length} elements, want ${want.length}` };
  let maxError = 0;
  let worst = -1;
  for (let index = 0; index < want.length; index++) {
    const a = got[index];
    const b = want[index];
    if (Number.isNaN(b) ? Number.isNaN(a) : a === b) continue;
    const error = Math.abs(a - b);
    if (!(error <= tolerance.abs + tolerance.rel * Math.abs(b))) {
      if (!(error <= maxError)) {
        maxError = Number.isNaN(error) ? Infinity : error;
        worst = index;
      }
      if (worst < 0) worst = index;
    } else if (error > maxError) maxError = error;
  }
  if (worst < 0) return { ok: true, maxError, message: `max error ${maxError.toExponential(2)}` };
  return {
    ok: false,
    maxError,
    message: `element ${worst}: got ${got[worst]}, want ${want[worst]} (max error ${maxError.toExponential(2)}, tolerance abs ${tolerance.abs} rel ${tolerance.rel})`,
  };
}

/** Throws an Error describing the first mismatch when `got` and `want` differ beyond `tolerance`. */
export function assertAllclose(
  got: Tensor | ArrayLike<number>,
  want: Tensor | ArrayLike<number>,
  tolerance: Partial<Tolerance> = {},
): void {
  const read = (value: Tensor | ArrayLike<number>): ArrayLike<number> => ('dataSync' in value ? value.dataSync() : value);
  if ('shape' in got && 'shape' in want && got.shape.join(',') !== want.shape.join(',')) {
    throw new Error(`shapes differ: [${got.shape.join(', ')}] vs [${want.shape.join(', ')}]`);
  }
  const result = compareArrays(read(got), read(want), { abs: tolerance.abs ?? 1e-5, rel: tolerance.rel ?? 1e-5 });
  if (!result.ok) throw new Error(result.message);
}
