import { f32x4, seq, type Code, type Expr, type Local } from './builder.js';

type V128 = Expr<'v128'>;

/** `a * b + c`: one fused instruction with relaxed SIMD, else a multiply and an add. */
export function madd(a: V128, b: V128, c: V128, relaxed: boolean): V128 {
  return relaxed ? f32x4.relaxedMadd(a, b, c) : f32x4.add(c, f32x4.mul(a, b));
}

/**
 * Coefficients of 2^f on [-0.5, 0.5] (degree-5 Chebyshev fit with the constant set to 1 so 2^0 is
 * exactly 1; relative error below 3.5e-7), lowest
 * degree first.
 */
const EXP2_COEFFICIENTS = [1, 0.6931472067106208, 0.24022107355830424, 0.05550327214208153, 0.009676037097872837, 0.0013400432165781239];

/** 1.5 · 2^23: adding it rounds a float in [-2^22, 2^22] to an integer held in the low mantissa bits. */
const ROUNDING_MAGIC = 12582912;

/**
 * `x = 2^x` lane by lane, using `n` and `scale` as temporaries (with `relaxed`, the polynomial's
 * Horner steps are fused multiply-adds): 2^x = 2^round(x) · 2^f with
 * f in [-0.5, 0.5] from a polynomial, round(x) by the add-magic-number trick (its bits plus 127,
 * shifted to the exponent field, are 2^round(x)). Inputs below -126 (including -Infinity) give
 * exactly 0; inputs above 127 give 2^127 (the kernels only exponentiate non-positive numbers).
 * NaN stays NaN. About 20 instructions per four lanes, all single-instruction on x64.
 */
export function exp2InPlace(x: Local<'v128'>, n: Local<'v128'>, scale: Local<'v128'>, relaxed = false): Code {
  const coefficients = EXP2_COEFFICIENTS;
  let polynomial: V128 = f32x4.const(coefficients[coefficients.length - 1]);
  for (let degree = coefficients.length - 2; degree >= 0; degree--) {
    polynomial = madd(polynomial, x.get(), f32x4.const(coefficients[degree]), relaxed);
  }
  return seq(
    x.set(f32x4.pmin(f32x4.pmax(x.get(), f32x4.const(-127)), f32x4.const(127))),
    n.set(f32x4.add(x.get(), f32x4.const(ROUNDING_MAGIC))),
    scale.set(f32x4.and(f32x4.i32Shl(f32x4.i32Add(n.get(), f32x4.constI32(127)), 23), f32x4.ge(x.get(), f32x4.const(-126)))),
    x.set(f32x4.sub(x.get(), f32x4.sub(n.get(), f32x4.const(ROUNDING_MAGIC)))),
    x.set(f32x4.mul(polynomial, scale.get())),
  );
}
