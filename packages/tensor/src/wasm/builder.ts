/**
 * A small typed WebAssembly bytecode builder: enough of the core, SIMD (128-bit) and threads
 * instruction sets to write numeric kernels in TypeScript and emit a module at run time, with no
 * toolchain. Expressions carry their value type, so `f32x4.add(anI32, …)` fails to compile.
 *
 * Kernels are written as trees of expressions (`Expr`) and lists of statements (`Code`); the
 * structured helpers (`forLoop`, `ifThen`, `whileLoop`) hide branch depths.
 */

/** The value types the kernels use. */
export type ValueType = 'i32' | 'f32' | 'v128';

const typeCode: Record<ValueType, number> = { i32: 0x7f, f32: 0x7d, v128: 0x7b };

/** An expression leaving one value of type `T` on the stack. */
export interface Expr<T extends ValueType> {
  readonly type: T;
  readonly code: readonly number[];
}

/** Instructions that leave nothing on the stack. */
export type Code = readonly number[];

type I32 = Expr<'i32'>;
type F32 = Expr<'f32'>;
type V128 = Expr<'v128'>;
/** An i32 expression or a plain integer constant. */
export type I32Like = I32 | number;
/** An f32 expression or a plain number constant. */
export type F32Like = F32 | number;

/** Unsigned LEB128. */
export function unsignedLeb(value: number): number[] {
  const bytes: number[] = [];
  let rest = value >>> 0;
  do {
    let byte = rest & 0x7f;
    rest >>>= 7;
    if (rest !== 0) byte |= 0x80;
    bytes.push(byte);
  } while (rest !== 0);
  return bytes;
}

/** Signed LEB128 of a 32-bit integer. */
export function signedLeb(value: number): number[] {
  const bytes: number[] = [];
  let rest = value | 0;
  for (;;) {
    const byte = rest & 0x7f;
    rest >>= 7;
    if ((rest === 0 && (byte & 0x40) === 0) || (rest === -1 && (byte & 0x40) !== 0)) {
      bytes.push(byte);
      return bytes;
    }
    bytes.push(byte | 0x80);
  }
}

const f32Bytes = (value: number): number[] => [...new Uint8Array(new Float32Array([value]).buffer)];
const expr = <T extends ValueType>(type: T, ...parts: (readonly number[])[]): Expr<T> => ({ type, code: parts.flat() });
const asI32 = (value: I32Like): I32 => (typeof value === 'number' ? i32.const(value) : value);
const asF32 = (value: F32Like): F32 => (typeof value === 'number' ? f32.const(value) : value);
const memarg = (align: number, offset: number): number[] => [...unsignedLeb(align), ...unsignedLeb(offset)];
const simd = (opcode: number): number[] => [0xfd, ...unsignedLeb(opcode)];
const atomic = (opcode: number): number[] => [0xfe, ...unsignedLeb(opcode)];

const i32Binary = (opcode: number) => (a: I32Like, b: I32Like): I32 => expr('i32', asI32(a).code, asI32(b).code, [opcode]);
const f32Binary = (opcode: number) => (a: F32Like, b: F32Like): F32 => expr('f32', asF32(a).code, asF32(b).code, [opcode]);
const f32Compare = (opcode: number) => (a: F32Like, b: F32Like): I32 => expr('i32', asF32(a).code, asF32(b).code, [opcode]);
const vectorBinary = (opcode: number) => (a: V128, b: V128): V128 => expr('v128', a.code, b.code, simd(opcode));
const vectorUnary = (opcode: number) => (a: V128): V128 => expr('v128', a.code, simd(opcode));
const vectorShift = (opcode: number) => (a: V128, bits: I32Like): V128 => expr('v128', a.code, asI32(bits).code, simd(opcode));

/** 32-bit integer instructions. */
export const i32 = {
  const: (value: number): I32 => expr('i32', [0x41], signedLeb(value)),
  load: (address: I32Like, offset = 0): I32 => expr('i32', asI32(address).code, [0x28], memarg(2, offset)),
  load8: (address: I32Like, offset = 0): I32 => expr('i32', asI32(address).code, [0x2d], memarg(0, offset)),
  store: (address: I32Like, value: I32Like, offset = 0): Code => [...asI32(address).code, ...asI32(value).code, 0x36, ...memarg(2, offset)],
  eqz: (a: I32Like): I32 => expr('i32', asI32(a).code, [0x45]),
  eq: i32Binary(0x46),
  ne: i32Binary(0x47),
  ltS: i32Binary(0x48),
  ltU: i32Binary(0x49),
  gtS: i32Binary(0x4a),
  leS: i32Binary(0x4c),
  geS: i32Binary(0x4e),
  add: i32Binary(0x6a),
  sub: i32Binary(0x6b),
  mul: i32Binary(0x6c),
  divS: i32Binary(0x6d),
  remS: i32Binary(0x6f),
  and: i32Binary(0x71),
  or: i32Binary(0x72),
  shl: i32Binary(0x74),
  shrS: i32Binary(0x75),
  shrU: i32Binary(0x76),
  /** `condition ? a : b` (both evaluated). */
  select: (a: I32Like, b: I32Like, condition: I32Like): I32 => expr('i32', asI32(a).code, asI32(b).code, asI32(condition).code, [0x1b]),
  minS: (a: I32Like, b: I32Like): I32 => i32.select(a, b, i32.ltS(a, b)),
  maxS: (a: I32Like, b: I32Like): I32 => i32.select(a, b, i32.gtS(a, b)),
  truncF32: (a: F32Like): I32 => expr('i32', asF32(a).code, [0xa8]),
  reinterpretF32: (a: F32Like): I32 => expr('i32', asF32(a).code, [0xbc]),
  /** Atomic read (sequentially consistent). */
  atomicLoad: (address: I32Like, offset = 0): I32 => expr('i32', asI32(address).code, atomic(0x10), memarg(2, offset)),
  atomicStore: (address: I32Like, value: I32Like, offset = 0): Code => [...asI32(address).code, ...asI32(value).code, ...atomic(0x17), ...memarg(2, offset)],
  /** Atomic add returning the old value. */
  atomicAdd: (address: I32Like, value: I32Like, offset = 0): I32 => expr('i32', asI32(address).code, asI32(value).code, atomic(0x1e), memarg(2, offset)),
  /** `memory.atomic.wait32`: 0 woken, 1 value differed, 2 timed out (timeout in ns, -1 for none). */
  atomicWait: (address: I32Like, expected: I32Like, timeoutNs: number): I32 =>
    expr('i32', asI32(address).code, asI32(expected).code, [0x42, ...signedLeb(timeoutNs)], atomic(0x01), memarg(2, 0)),
  /** `memory.atomic.notify`: wakes up to `count` waiters; returns how many woke. */
  atomicNotify: (address: I32Like, count: I32Like): I32 => expr('i32', asI32(address).code, asI32(count).code, atomic(0x00), memarg(2, 0)),
};

/** 32-bit float instructions. */
export const f32 = {
  const: (value: number): F32 => expr('f32', [0x43], f32Bytes(value)),
  load: (address: I32Like, offset = 0): F32 => expr('f32', asI32(address).code, [0x2a], memarg(2, offset)),
  store: (address: I32Like, value: F32Like, offset = 0): Code => [...asI32(address).code, ...asF32(value).code, 0x38, ...memarg(2, offset)],
  eq: f32Compare(0x5b),
  ne: f32Compare(0x5c),
  lt: f32Compare(0x5d),
  gt: f32Compare(0x5e),
  ge: f32Compare(0x60),
  abs: (a: F32Like): F32 => expr('f32', asF32(a).code, [0x8b]),
  neg: (a: F32Like): F32 => expr('f32', asF32(a).code, [0x8c]),
  sqrt: (a: F32Like): F32 => expr('f32', asF32(a).code, [0x91]),
  add: f32Binary(0x92),
  sub: f32Binary(0x93),
  mul: f32Binary(0x94),
  div: f32Binary(0x95),
  min: f32Binary(0x96),
  max: f32Binary(0x97),
  select: (a: F32Like, b: F32Like, condition: I32Like): F32 => expr('f32', asF32(a).code, asF32(b).code, asI32(condition).code, [0x1b]),
  fromI32: (a: I32Like): F32 => expr('f32', asI32(a).code, [0xb2]),
  reinterpretI32: (a: I32Like): F32 => expr('f32', asI32(a).code, [0xbe]),
};

/** 128-bit vector instructions, viewed as four f32 lanes (plus the bitwise and i32x4 ones kernels need). */
export const f32x4 = {
  load: (address: I32Like, offset = 0): V128 => expr('v128', asI32(address).code, simd(0x00), memarg(4, offset)),
  /** Loads one f32 and repeats it in all four lanes. */
  loadSplat: (address: I32Like, offset = 0): V128 => expr('v128', asI32(address).code, simd(0x09), memarg(2, offset)),
  /** Loads four bytes into the low lane (the others zero). */
  load32Zero: (address: I32Like, offset = 0): V128 => expr('v128', asI32(address).code, simd(0x5c), memarg(2, offset)),
  store: (address: I32Like, value: V128, offset = 0): Code => [...asI32(address).code, ...value.code, ...simd(0x0b), ...memarg(4, offset)],
  const: (value: number): V128 => expr('v128', simd(0x0c), [0, 1, 2, 3].flatMap(() => f32Bytes(value))),
  constI32: (value: number): V128 => expr('v128', simd(0x0c), [0, 1, 2, 3].flatMap(() => [...new Uint8Array(new Int32Array([value]).buffer)])),
  splat: (a: F32Like): V128 => expr('v128', asF32(a).code, simd(0x13)),
  splatI32: (a: I32Like): V128 => expr('v128', asI32(a).code, simd(0x11)),
  /** A constant with four given i32 lanes. */
  i32Lanes: (lanes: readonly [number, number, number, number]): V128 => expr('v128', simd(0x0c), [...new Uint8Array(new Int32Array(lanes).buffer)]),
  /** All-ones lanes where the i32 lane is non-zero. */
  i32Ne0: (a: V128): V128 => expr('v128', a.code, simd(0x0c), new Array<number>(16).fill(0), simd(0x38)),
  extractLane: (a: V128, lane: number): F32 => expr('f32', a.code, simd(0x1f), [lane]),
  /** Lanes (a0, a1, b0, b1) style permutes: picks 16 bytes from `a ++ b` by index. */
  shuffle: (a: V128, b: V128, lanes: readonly [number, number, number, number]): V128 =>
    expr('v128', a.code, b.code, simd(0x0d), lanes.flatMap((lane) => [lane * 4, lane * 4 + 1, lane * 4 + 2, lane * 4 + 3])),
  eq: vectorBinary(0x41),
  ne: vectorBinary(0x42),
  lt: vectorBinary(0x43),
  gt: vectorBinary(0x44),
  le: vectorBinary(0x45),
  ge: vectorBinary(0x46),
  and: vectorBinary(0x4e),
  andNot: vectorBinary(0x4f),
  or: vectorBinary(0x50),
  xor: vectorBinary(0x51),
  /** Bitwise `mask ? a : b`. */
  bitselect: (a: V128, b: V128, mask: V128): V128 => expr('v128', a.code, b.code, mask.code, simd(0x52)),
  anyTrue: (a: V128): I32 => expr('i32', a.code, simd(0x53)),
  /** 1 when every i32 lane is non-zero (e.g. every lane of a comparison held). */
  allTrue: (a: V128): I32 => expr('i32', a.code, simd(0xa3)),
  /** Widens the low four bytes to four u32 lanes. */
  widenBytes: (a: V128): V128 => expr('v128', a.code, simd(0x89), simd(0xa9)),
  floor: vectorUnary(0x68),
  nearest: vectorUnary(0x6a),
  abs: vectorUnary(0xe0),
  neg: vectorUnary(0xe1),
  sqrt: vectorUnary(0xe3),
  add: vectorBinary(0xe4),
  sub: vectorBinary(0xe5),
  mul: vectorBinary(0xe6),
  div: vectorBinary(0xe7),
  min: vectorBinary(0xe8),
  max: vectorBinary(0xe9),
  /** `b < a ? a : b` (NaN-agnostic max, one instruction on x64). */
  pmax: vectorBinary(0xeb),
  pmin: vectorBinary(0xea),
  i32Add: vectorBinary(0xae),
  i32Sub: vectorBinary(0xb1),
  i32Shl: vectorShift(0xab),
  i32FromF32: vectorUnary(0xf8),
  f32FromI32: vectorUnary(0xfa),
  /** Fused `a * b + c` (relaxed SIMD; rounding may be single or double). */
  relaxedMadd: (a: V128, b: V128, c: V128): V128 => expr('v128', a.code, b.code, c.code, simd(0x105)),
};

/** A local variable (or parameter) of a function being built. */
export class Local<T extends ValueType> {
  constructor(
    readonly index: number,
    readonly type: T,
  ) {}
  get(): Expr<T> {
    return expr(this.type, [0x20], unsignedLeb(this.index));
  }
  set(value: Expr<T> | (T extends 'i32' | 'f32' ? number : never)): Code {
    const code = typeof value === 'number' ? (this.type === 'i32' ? i32.const(value) : f32.const(value)).code : value.code;
    return [...code, 0x21, ...unsignedLeb(this.index)];
  }
  tee(value: Expr<T>): Expr<T> {
    return expr(this.type, value.code, [0x22], unsignedLeb(this.index));
  }
}

/** Concatenates statements. */
export const seq = (...parts: readonly Code[]): Code => parts.flat();
/** Evaluates an expression for its side effects and drops the value. */
export const drop = (value: Expr<ValueType>): Code => [...value.code, 0x1a];
/** `if (condition) { then } else { otherwise }`. */
export const ifThen = (condition: I32Like, then: Code, otherwise?: Code): Code =>
  otherwise && otherwise.length > 0
    ? [...asI32(condition).code, 0x04, 0x40, ...then, 0x05, ...otherwise, 0x0b]
    : [...asI32(condition).code, 0x04, 0x40, ...then, 0x0b];
/** `while (condition) { body }`. */
export const whileLoop = (condition: I32Like, body: Code): Code => [
  0x02, 0x40, 0x03, 0x40, ...i32.eqz(condition).code, 0x0d, 1, ...body, 0x0c, 0, 0x0b, 0x0b,
];
/** `for (counter = start; counter < end; counter += step) { body }` (signed compare). */
export const forLoop = (counter: Local<'i32'>, start: I32Like, end: I32Like, step: I32Like, body: Code): Code => [
  ...counter.set(asI32(start)),
  ...whileLoop(i32.ltS(counter.get(), end), [...body, ...counter.set(i32.add(counter.get(), step))]),
];
/** Calls a function by index, leaving its result (if any) on the stack. */
export const callExpr = <T extends ValueType>(type: T, functionIndex: number, ...args: Expr<ValueType>[]): Expr<T> =>
  expr(type, ...args.map((arg) => arg.code), [0x10], unsignedLeb(functionIndex));
/** Calls a function that returns nothing. */
export const call = (functionIndex: number, ...args: (Expr<ValueType> | number)[]): Code => [
  ...args.flatMap((arg) => (typeof arg === 'number' ? i32.const(arg).code : arg.code)),
  0x10,
  ...unsignedLeb(functionIndex),
];
export const returnNow: Code = [0x0f];

/** Builds one function: declares parameters up front and locals on demand. */
export class FunctionBuilder {
  readonly #locals: ValueType[] = [];
  readonly parameters: readonly Local<ValueType>[];
  constructor(readonly params: readonly ValueType[]) {
    this.parameters = params.map((type, index) => new Local(index, type));
  }
  /** Parameter `index`, typed as `type` (checked). */
  param<T extends ValueType>(index: number, type: T): Local<T> {
    if (this.params[index] !== type) throw new Error(`parameter ${index} is ${this.params[index]}, not ${type}`);
    return this.parameters[index] as Local<T>;
  }
  local<T extends ValueType>(type: T): Local<T> {
    this.#locals.push(type);
    return new Local(this.params.length + this.#locals.length - 1, type);
  }
  locals<T extends ValueType>(type: T, count: number): Local<T>[] {
    return Array.from({ length: count }, () => this.local(type));
  }
  /** The encoded body (locals declaration + code + end). */
  encode(code: Code): number[] {
    const groups: [number, ValueType][] = [];
    for (const type of this.#locals) {
      const last = groups[groups.length - 1];
      if (last && last[1] === type) last[0]++;
      else groups.push([1, type]);
    }
    const body = [...unsignedLeb(groups.length), ...groups.flatMap(([count, type]) => [...unsignedLeb(count), typeCode[type]]), ...code, 0x0b];
    return [...unsignedLeb(body.length), ...body];
  }
}

interface FunctionEntry {
  name: string;
  typeIndex: number;
  exported: boolean;
  body: number[] | null;
}

const section = (id: number, content: number[]): number[] => (content.length === 0 ? [] : [id, ...unsignedLeb(content.length), ...content]);
const vector = (items: number[][]): number[] => [...unsignedLeb(items.length), ...items.flat()];
const name = (text: string): number[] => {
  const bytes = [...new TextEncoder().encode(text)];
  return [...unsignedLeb(bytes.length), ...bytes];
};

/** Builds a module that imports one memory (`env.memory`, shared when `shared`). */
export class ModuleBuilder {
  readonly #types: string[] = [];
  readonly #functions: FunctionEntry[] = [];
  constructor(readonly memory: { initialPages: number; maximumPages: number; shared: boolean }) {}

  /** Declares a function now (so others can call it) and defines its body later with `define`. */
  declare(functionName: string, params: readonly ValueType[], results: readonly ValueType[], exported = false): number {
    const signature = [0x60, ...vector(params.map((type) => [typeCode[type]])), ...vector(results.map((type) => [typeCode[type]]))];
    const key = signature.join(',');
    let typeIndex = this.#types.indexOf(key);
    if (typeIndex < 0) typeIndex = this.#types.push(key) - 1;
    return this.#functions.push({ name: functionName, typeIndex, exported, body: null }) - 1;
  }

  /** Defines the body of a declared function. */
  define(index: number, params: readonly ValueType[], build: (fn: FunctionBuilder) => Code): void {
    const builder = new FunctionBuilder(params);
    this.#functions[index].body = builder.encode(build(builder));
  }

  /** Declares and defines in one step. */
  function(functionName: string, params: readonly ValueType[], results: readonly ValueType[], build: (fn: FunctionBuilder) => Code, exported = false): number {
    const index = this.declare(functionName, params, results, exported);
    this.define(index, params, build);
    return index;
  }

  /** The module's bytes. */
  encode(): Uint8Array<ArrayBuffer> {
    const missing = this.#functions.find((entry) => entry.body === null);
    if (missing) throw new Error(`wasm function ${missing.name} was declared but never defined`);
    const { initialPages, maximumPages, shared } = this.memory;
    const limits = shared ? [0x03, ...unsignedLeb(initialPages), ...unsignedLeb(maximumPages)] : [0x00, ...unsignedLeb(initialPages)];
    const bytes = [
      0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
      ...section(1, vector(this.#types.map((key) => key.split(',').map(Number)))),
      ...section(2, vector([[...name('env'), ...name('memory'), 0x02, ...limits]])),
      ...section(3, vector(this.#functions.map((entry) => unsignedLeb(entry.typeIndex)))),
      ...section(7, vector(this.#functions.flatMap((entry, index) => (entry.exported ? [[...name(entry.name), 0x00, ...unsignedLeb(index)]] : [])))),
      ...section(10, vector(this.#functions.map((entry) => entry.body ?? []))),
    ];
    return new Uint8Array(bytes);
  }
}
