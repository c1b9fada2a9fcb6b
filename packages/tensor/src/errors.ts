const HEED_ERROR_MARKER = Symbol.for('heed.error');

/** A shape written the way heed prints it in messages: `[2, 3]`. */
export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/**
 * The base class of every error heed raises on purpose. Messages start with the op's name
 * (`heed.matmul: …`). Use {@link HeedError.isInstance} rather than `instanceof` when two copies
 * of `@heed/tensor` may be installed.
 *
 * @example
 * ```ts
 * try { matmul(a, b); } catch (error) { if (HeedError.isInstance(error)) console.log(error.op); }
 * ```
 */
export class HeedError extends Error {
  readonly [HEED_ERROR_MARKER] = true;
  /** The op (function or module) that refused its input, for example `matmul`. */
  readonly op: string;

  constructor(op: string, message: string) {
    super(`heed.${op}: ${message}`);
    this.name = 'HeedError';
    this.op = op;
  }

  /** True for any heed error, also one thrown by another installed copy of heed. */
  static isInstance(error: unknown): error is HeedError {
    return typeof error === 'object' && error !== null && HEED_ERROR_MARKER in error;
  }
}

/**
 * An argument has the wrong shape. Carries the argument's name and the expected and received
 * shapes (the expected one as text, since it is often a pattern such as `[B, L, D]`).
 *
 * @example
 * ```ts
 * throw new ShapeError('matmul', 'b', '[3, N]', [4, 5]);
 * // heed.matmul: argument b: expected shape [3, N], got [4, 5]
 * ```
 */
export class ShapeError extends HeedError {
  readonly argument: string;
  readonly expected: string;
  readonly received: readonly number[];

  constructor(op: string, argument: string, expected: string, received: readonly number[], detail?: string) {
    super(
      op,
      `argument ${argument}: expected shape ${expected}, got ${formatShape(received)}${detail ? ` (${detail})` : ''}`,
    );
    this.name = 'ShapeError';
    this.argument = argument;
    this.expected = expected;
    this.received = received;
  }
}

/** An argument has the wrong element type, for example a float mask where a bool mask is needed. */
export class DTypeError extends HeedError {
  constructor(op: string, argument: string, expected: string, received: string) {
    super(op, `argument ${argument}: expected dtype ${expected}, got ${received}`);
    this.name = 'DTypeError';
  }
}

/** An argument has a value outside what the op accepts (a negative window, p outside [0, 1), …). */
export class ValueError extends HeedError {
  readonly argument: string;
  constructor(op: string, argument: string, message: string) {
    super(op, `argument ${argument}: ${message}`);
    this.name = 'ValueError';
    this.argument = argument;
  }
}

/** A backend cannot do what was asked (an unknown mode, a synchronous read on an async device, …). */
export class BackendError extends HeedError {
  constructor(op: string, message: string) {
    super(op, message);
    this.name = 'BackendError';
  }
}

/** Autograd was asked for something it cannot do (backward of a non-scalar without a seed, …). */
export class GradientError extends HeedError {
  constructor(op: string, message: string) {
    super(op, message);
    this.name = 'GradientError';
  }
}

/** A weight file (safetensors) is malformed or does not match the module it is loaded into. */
export class FormatError extends HeedError {
  constructor(op: string, message: string) {
    super(op, message);
    this.name = 'FormatError';
  }
}
