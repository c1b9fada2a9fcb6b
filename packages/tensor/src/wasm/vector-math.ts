import { f32x4, type Expr } from './builder.js';

type V128 = Expr<'v128'>;

/** `a * b + c`: one fused instruction with relaxed SIMD, else a multiply and an add. */
export function madd(a: V128, b: V128, c: V128, relaxed: boolean): V128 {
  return relaxed ? f32x4.relaxedMadd(a, b, c) : f32x4.add(c, f32x4.mul(a, b));
}
