import type { BinaryOp, DType, UnaryOp, View } from '@heed/tensor';
import { ProgramBuilder, canonicalize, isRowMajor, offsetExpression, sizeOf, splitIndex, type Program } from '../program.js';

/**
 * Elementwise programs: copy/cast, fill, unary, binary and where. Each thread computes one output
 * element; inputs are read through their strides (broadcast axes have stride 0), so views never
 * need a copy first. Integer and bool data are exact floats on the device.
 */

/**
 * The unary ops as statements over `x` that declare `${out}`. Written out rather than called, so
 * every backend's shader language computes them the same way: GLSL ES 1.00 has no tanh or erf,
 * GLSL's pow is undefined for negative bases, and gpu.js's private functions type poorly.
 */
const unaryStatements: Record<UnaryOp, (x: string, out: string) => string> = {
  neg: (x, out) => `const ${out} = -${x};`,
  exp: (x, out) => `const ${out} = Math.exp(${x});`,
  log: (x, out) => `const ${out} = Math.log(${x});`,
  sqrt: (x, out) => `const ${out} = Math.sqrt(${x});`,
  tanh: (x, out) =>
    [
      `const ${out}Magnitude = Math.abs(${x});`,
      `const ${out}Decay = Math.exp(-2.0 * ${out}Magnitude);`,
      `let ${out}Positive = (1.0 - ${out}Decay) / (1.0 + ${out}Decay);`,
      // Near 0, 1 - exp(-2x) cancels; the series is exact to float32 there.
      `if (${out}Magnitude < 0.0005) { ${out}Positive = ${out}Magnitude - ${out}Magnitude * ${out}Magnitude * ${out}Magnitude / 3.0; }`,
      `const ${out} = ${x} < 0.0 ? -${out}Positive : ${out}Positive;`,
    ].join('\n'),
  sigmoid: (x, out) =>
    [`const ${out}Decay = Math.exp(-Math.abs(${x}));`, `const ${out} = ${x} >= 0.0 ? 1.0 / (1.0 + ${out}Decay) : ${out}Decay / (1.0 + ${out}Decay);`].join('\n'),
  relu: (x, out) => `const ${out} = Math.max(${x}, 0.0);`,
  abs: (x, out) => `const ${out} = Math.abs(${x});`,
  sign: (x, out) => `const ${out} = ${x} > 0.0 ? 1.0 : (${x} < 0.0 ? -1.0 : 0.0);`,
  sin: (x, out) => `const ${out} = Math.sin(${x});`,
  cos: (x, out) => `const ${out} = Math.cos(${x});`,
  // Numerical Recipes' erfc with Chebyshev fit: relative error below 1.2e-7 everywhere.
  erf: (x, out) =>
    [
      `const ${out}Magnitude = Math.abs(${x});`,
      `const ${out}T = 1.0 / (1.0 + 0.5 * ${out}Magnitude);`,
      `const ${out}Poly = -${out}Magnitude * ${out}Magnitude - 1.26551223 + ${out}T * (1.00002368 + ${out}T * (0.37409196 + ${out}T * (0.09678418 + ${out}T * (-0.18628806 + ${out}T * (0.27886807 + ${out}T * (-1.13520398 + ${out}T * (1.48851587 + ${out}T * (-0.82215223 + ${out}T * 0.17087277))))))));`,
      `const ${out}Positive = 1.0 - ${out}T * Math.exp(${out}Poly);`,
      `const ${out} = ${x} < 0.0 ? -${out}Positive : ${out}Positive;`,
    ].join('\n'),
  reciprocal: (x, out) => `const ${out} = 1.0 / ${x};`,
  not: (x, out) => `const ${out} = ${x} === 0.0 ? 1.0 : 0.0;`,
};

const simpleBinary: Partial<Record<BinaryOp, (a: string, b: string) => string>> = {
  add: (a, b) => `${a} + ${b}`,
  sub: (a, b) => `${a} - ${b}`,
  mul: (a, b) => `${a} * ${b}`,
  div: (a, b) => `${a} / ${b}`,
  maximum: (a, b) => `Math.max(${a}, ${b})`,
  minimum: (a, b) => `Math.min(${a}, ${b})`,
  eq: (a, b) => `(${a} === ${b} ? 1.0 : 0.0)`,
  ne: (a, b) => `(${a} !== ${b} ? 1.0 : 0.0)`,
  lt: (a, b) => `(${a} < ${b} ? 1.0 : 0.0)`,
  le: (a, b) => `(${a} <= ${b} ? 1.0 : 0.0)`,
  gt: (a, b) => `(${a} > ${b} ? 1.0 : 0.0)`,
  ge: (a, b) => `(${a} >= ${b} ? 1.0 : 0.0)`,
  and: (a, b) => `(${a} !== 0.0 && ${b} !== 0.0 ? 1.0 : 0.0)`,
  or: (a, b) => `(${a} !== 0.0 || ${b} !== 0.0 ? 1.0 : 0.0)`,
  xor: (a, b) => `((${a} !== 0.0) !== (${b} !== 0.0) ? 1.0 : 0.0)`,
};

/** The binary ops as statements declaring `${out}`; pow follows PyTorch for negative bases and zeros. */
function binaryStatements(op: BinaryOp, a: string, b: string, out: string): string {
  const simple = simpleBinary[op];
  if (simple) return `const ${out} = ${simple(a, b)};`;
  return [
    `const ${out}Magnitude = Math.pow(Math.abs(${a}), ${b});`,
    `let ${out} = ${out}Magnitude;`,
    `if (${a} < 0.0) {`,
    `  if (Math.floor(${b}) !== ${b}) { ${out} = Math.sqrt(-1.0 - ${out}Magnitude); }`,
    `  else if (Math.floor(${b} * 0.5) !== ${b} * 0.5) { ${out} = -${out}Magnitude; }`,
    '}',
    `if (${a} === 0.0) { ${out} = ${b} > 0.0 ? 0.0 : 1.0 / ${a}; }`,
    `if (${b} === 0.0) { ${out} = 1.0; }`,
  ].join('\n');
}

/** Converts a float read into `dtype`'s value set (truncation for int32, 0/1 for bool). */
function castExpression(value: string, from: DType, to: DType): string {
  if (from === to || to === 'float32') return value;
  if (to === 'bool') return `(${value} !== 0.0 && ${value} === ${value} ? 1.0 : 0.0)`; // NaN casts to false, as on the CPU
  if (from === 'bool') return value;
  // Truncation toward zero; NaN becomes 0, as Int32Array stores it.
  return `(${value} !== ${value} ? 0.0 : (${value} < 0.0 ? -Math.floor(-${value}) : Math.floor(${value})))`;
}

/**
 * Reads `views` at each output position of `shape` and combines them with `combine`. Axes are
 * canonicalised first; a row-major view is read by the flat index, the others through
 * per-axis indices and their strides (all parameters, so one kernel serves every shape).
 */
function elementwise(name: string, shape: readonly number[], views: readonly View[], combine: (values: string[]) => string): Program {
  const canonical = canonicalize(shape, views.map((view) => view.strides));
  const builder = new ProgramBuilder();
  const dims = builder.integers('dim', canonical.shape);
  const lines = ['const index = this.thread.x;'];
  const flat = views.map((_, index) => isRowMajor(canonical.shape, canonical.strides[index]));
  if (flat.includes(false)) lines.push(splitIndex('index', dims, 'axis'));
  const reads = views.map((view, index) => {
    const { array, offset } = builder.view(view, `in${index}`);
    if (flat[index]) {
      lines.push(`const value${index} = ${array}[${offset} + index];`);
    } else {
      const strides = builder.integers(`in${index}Stride`, canonical.strides[index]);
      lines.push(`const value${index} = ${array}[${offsetExpression(offset, strides, 'axis')}];`);
    }
    return `value${index}`;
  });
  lines.push(combine(reads), 'return result;');
  return builder.build(name, lines.join('\n'), sizeOf(shape));
}

/** A row-major copy of `x`, cast to `dtype`. */
export function contiguousProgram(x: View, dtype: DType): Program {
  return elementwise(`contiguous.${dtype}`, x.shape, [x], ([value]) => `const result = ${castExpression(value, x.dtype, dtype)};`);
}

/** `shape` filled with `value` (passed as a parameter, so one kernel serves every value, Infinity included). */
export function fillProgram(shape: readonly number[], value: number): Program {
  const builder = new ProgramBuilder();
  const parameter = builder.float('fillValue', value);
  return builder.build('fill', `return ${parameter};`, sizeOf(shape));
}

/** `op(x)` elementwise. */
export function unaryProgram(op: UnaryOp, x: View): Program {
  return elementwise(`unary.${op}`, x.shape, [x], ([value]) => unaryStatements[op](value, 'result'));
}

/** `op(a, b)` elementwise over broadcast views. */
export function binaryProgram(op: BinaryOp, a: View, b: View, shape: readonly number[]): Program {
  return elementwise(`binary.${op}`, shape, [a, b], ([left, right]) => binaryStatements(op, left, right, 'result'));
}

/** `condition ? a : b` elementwise over broadcast views. */
export function whereProgram(condition: View, a: View, b: View, shape: readonly number[]): Program {
  return elementwise('where', shape, [condition, a, b], ([test, left, right]) => `const result = ${test} !== 0.0 ? ${left} : ${right};`);
}

