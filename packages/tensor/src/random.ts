import type { Backend } from './backend.js';
import { getBackend } from './backend-registry.js';
import { ValueError } from './errors.js';
import { checkShape, sizeOf, type Shape } from './shape.js';
import { Tensor } from './tensor.js';

/**
 * A seeded random number generator (xoshiro128**, seeded through splitmix32). Integer arithmetic
 * only, so the same seed gives the same numbers on every platform and JavaScript engine.
 *
 * @example
 * ```ts
 * const generator = new Generator(42);
 * const x = randn([2, 3], { generator });
 * ```
 */
export class Generator {
  #state = new Uint32Array(4);
  #spareNormal: number | null = null;

  constructor(seed = 0) {
    this.manualSeed(seed);
  }

  /** Resets the generator to the sequence of `seed` (an integer). */
  manualSeed(seed: number): this {
    if (!Number.isFinite(seed)) throw new ValueError('manualSeed', 'seed', `must be a finite number, got ${seed}`);
    let value = (Math.trunc(seed) ^ Math.trunc(seed / 2 ** 32)) >>> 0;
    for (let index = 0; index < 4; index++) {
      value = (value + 0x9e3779b9) >>> 0;
      let z = value;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      this.#state[index] = (z ^ (z >>> 16)) >>> 0;
    }
    if (this.#state.every((word) => word === 0)) this.#state[0] = 1;
    this.#spareNormal = null;
    return this;
  }

  /** The next 32-bit unsigned integer. */
  nextUint32(): number {
    const s = this.#state;
    const result = Math.imul(rotl(Math.imul(s[1], 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1] << 9) >>> 0;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** A uniform float in [0, 1) with 24 random bits (exactly representable in float32). */
  nextFloat(): number {
    return (this.nextUint32() >>> 8) / 16777216;
  }

  /** A standard normal sample (Box–Muller, using both values of each pair). */
  nextNormal(): number {
    if (this.#spareNormal !== null) {
      const spare = this.#spareNormal;
      this.#spareNormal = null;
      return spare;
    }
    const u1 = 1 - this.nextFloat();
    const u2 = this.nextFloat();
    const radius = Math.sqrt(-2 * Math.log(u1));
    this.#spareNormal = radius * Math.sin(2 * Math.PI * u2);
    return radius * Math.cos(2 * Math.PI * u2);
  }

  /** A uniform integer in [low, high). */
  nextInt(low: number, high: number): number {
    return low + Math.floor(this.nextFloat() * (high - low));
  }
}

function rotl(value: number, bits: number): number {
  return ((value << bits) | (value >>> (32 - bits))) >>> 0;
}

const defaultGenerator = new Generator(0);

/**
 * Seeds the default generator that random functions use when given none (PyTorch's `manual_seed`).
 *
 * @example
 * ```ts
 * manualSeed(0);
 * const a = randn([3]);
 * manualSeed(0);
 * const b = randn([3]); // same numbers as a
 * ```
 */
export function manualSeed(seed: number): Generator {
  return defaultGenerator.manualSeed(seed);
}

/** The generator used when an op is given none. */
export function getDefaultGenerator(): Generator {
  return defaultGenerator;
}

/** Options of the random functions. */
export interface RandomOptions {
  generator?: Generator;
  backend?: Backend;
  requiresGrad?: boolean;
}

function make(shape: Shape, options: RandomOptions, sample: (generator: Generator) => number, op: string): Tensor {
  checkShape(op, shape);
  const generator = options.generator ?? defaultGenerator;
  const values = new Float32Array(sizeOf(shape));
  for (let index = 0; index < values.length; index++) values[index] = sample(generator);
  const out = Tensor.fromData(values, shape, 'float32', options.backend ?? getBackend());
  if (options.requiresGrad) out.requiresGrad = true;
  return out;
}

/** Uniform samples in [0, 1). @example `rand([2, 2], { generator })` */
export function rand(shape: Shape, options: RandomOptions = {}): Tensor {
  return make(shape, options, (g) => g.nextFloat(), 'rand');
}

/** Uniform samples in [low, high). @example `uniform([4], -0.1, 0.1)` */
export function uniform(shape: Shape, low: number, high: number, options: RandomOptions = {}): Tensor {
  if (!(high >= low)) throw new ValueError('uniform', 'high', `must be at least low (${low}), got ${high}`);
  return make(shape, options, (g) => low + (high - low) * g.nextFloat(), 'uniform');
}

/** Standard normal samples. @example `randn([2, 3])` */
export function randn(shape: Shape, options: RandomOptions = {}): Tensor {
  return make(shape, options, (g) => g.nextNormal(), 'randn');
}

/** Normal samples with `mean` and `std`. @example `normal([8], 0, 0.02)` */
export function normal(shape: Shape, mean: number, std: number, options: RandomOptions = {}): Tensor {
  if (!(std >= 0)) throw new ValueError('normal', 'std', `must be non-negative, got ${std}`);
  return make(shape, options, (g) => mean + std * g.nextNormal(), 'normal');
}

/** Uniform int32 samples in [low, high). @example `randint(0, 10, [5])` */
export function randint(low: number, high: number, shape: Shape, options: RandomOptions = {}): Tensor {
  if (!(high > low)) throw new ValueError('randint', 'high', `must exceed low (${low}), got ${high}`);
  checkShape('randint', shape);
  const generator = options.generator ?? defaultGenerator;
  const values = new Int32Array(sizeOf(shape));
  for (let index = 0; index < values.length; index++) values[index] = generator.nextInt(low, high);
  return Tensor.fromData(values, shape, 'int32', options.backend ?? getBackend());
}

/** A random permutation of `0 … n-1` (int32, Fisher–Yates). @example `randperm(10)` */
export function randperm(n: number, options: RandomOptions = {}): Tensor {
  const generator = options.generator ?? defaultGenerator;
  const values = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = generator.nextInt(0, i + 1);
    [values[i], values[j]] = [values[j], values[i]];
  }
  return Tensor.fromData(values, [n], 'int32', options.backend ?? getBackend());
}
