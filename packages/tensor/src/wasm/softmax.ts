import { f32, f32x4, forLoop, i32, ifThen, seq, whileLoop, type Code, type Expr, type FunctionBuilder, type Local, type ModuleBuilder } from './builder.js';
import { exp2InPlace } from './vector-math.js';

/** Byte offsets of the softmax job's arguments: rows of `columns` floats, `rowsPerChunk` rows per chunk. */
export const SoftmaxArgs = {
  input: 0,
  output: 4,
  rows: 8,
  columns: 12,
  rowsPerChunk: 16,
  /** 1: log-softmax. */
  log: 20,
} as const;

/**
 * `softmaxChunk(args, chunk, thread)`: softmax (or log-softmax) of each row over its columns,
 * in three passes (max, sum of 2^((x − max)·log2 e), normalise) with four lanes at a time and a
 * scalar tail. A row that is all -Infinity gives zeros (log-softmax: -Infinity), as the JS kernel.
 * With `relaxed`, the exponentials' polynomial uses fused multiply-add.
 */
export function addSoftmax(module: ModuleBuilder, relaxed = false): void {
  module.function('softmaxChunk', ['i32', 'i32', 'i32'], [], (fn) => {
    const args = fn.param(0, 'i32');
    const chunk = fn.param(1, 'i32');
    const arg = (offset: number) => i32.load(args.get(), offset);
    const [row, rowEnd, columns, vectorEnd, input, output, column, log] = fn.locals('i32', 8);
    const [maximum, total, shift, inverse] = fn.locals('f32', 4);
    const [vector, n, scale, accumulator] = fn.locals('v128', 4);
    const at = (base: Local<'i32'>, index: Expr<'i32'>) => i32.add(base.get(), i32.shl(index, 2));
    // e = 2^((x − max)·log2 e) for the four lanes at `index`, into `vector`.
    const exponentials = (x: Expr<'v128'>): Code => seq(vector.set(f32x4.mul(f32x4.sub(x, f32x4.splat(maximum.get())), f32x4.const(Math.LOG2E))), exp2InPlace(vector, n, scale, relaxed));
    const horizontalSum = (value: Expr<'v128'>) => f32.add(f32.add(f32x4.extractLane(value, 0), f32x4.extractLane(value, 1)), f32.add(f32x4.extractLane(value, 2), f32x4.extractLane(value, 3)));
    return seq(
      columns.set(arg(SoftmaxArgs.columns)),
      vectorEnd.set(i32.and(columns.get(), -4)),
      log.set(arg(SoftmaxArgs.log)),
      row.set(i32.mul(chunk.get(), arg(SoftmaxArgs.rowsPerChunk))),
      rowEnd.set(i32.minS(arg(SoftmaxArgs.rows), i32.add(row.get(), arg(SoftmaxArgs.rowsPerChunk)))),
      whileLoop(i32.ltS(row.get(), rowEnd.get()), seq(
        input.set(i32.add(arg(SoftmaxArgs.input), i32.shl(i32.mul(row.get(), columns.get()), 2))),
        output.set(i32.add(arg(SoftmaxArgs.output), i32.shl(i32.mul(row.get(), columns.get()), 2))),
        // Pass 1: the maximum.
        accumulator.set(f32x4.const(-Infinity)),
        forLoop(column, 0, vectorEnd.get(), 4, accumulator.set(f32x4.pmax(accumulator.get(), f32x4.load(at(input, column.get()))))),
        maximum.set(f32.max(f32.max(f32x4.extractLane(accumulator.get(), 0), f32x4.extractLane(accumulator.get(), 1)), f32.max(f32x4.extractLane(accumulator.get(), 2), f32x4.extractLane(accumulator.get(), 3)))),
        forLoop(column, vectorEnd.get(), columns.get(), 1, maximum.set(f32.max(maximum.get(), f32.load(at(input, column.get()))))),
        ifThen(
          f32.eq(maximum.get(), -Infinity),
          forLoop(column, 0, columns.get(), 1, f32.store(at(output, column.get()), f32.select(-Infinity, 0, log.get()))),
          seq(
            // Pass 2: the sum of exponentials (stored as we go unless log-softmax).
            accumulator.set(f32x4.const(0)),
            forLoop(column, 0, vectorEnd.get(), 4, seq(
              exponentials(f32x4.load(at(input, column.get()))),
              ifThen(i32.eqz(log.get()), f32x4.store(at(output, column.get()), vector.get())),
              accumulator.set(f32x4.add(accumulator.get(), vector.get())),
            )),
            total.set(horizontalSum(accumulator.get())),
            forLoop(column, vectorEnd.get(), columns.get(), 1, seq(
              exponentials(f32x4.splat(f32.load(at(input, column.get())))),
              ifThen(i32.eqz(log.get()), f32.store(at(output, column.get()), f32x4.extractLane(vector.get(), 0))),
              total.set(f32.add(total.get(), f32x4.extractLane(vector.get(), 0))),
            )),
            // Pass 3: normalise.
            ifThen(
              log.get(),
              seq(
                // (x − max) − log(sum): subtracting the small log last keeps it when max is large.
                shift.set(logOf(fn, total.get())),
                forLoop(column, 0, vectorEnd.get(), 4, f32x4.store(at(output, column.get()), f32x4.sub(f32x4.sub(f32x4.load(at(input, column.get())), f32x4.splat(maximum.get())), f32x4.splat(shift.get())))),
                forLoop(column, vectorEnd.get(), columns.get(), 1, f32.store(at(output, column.get()), f32.sub(f32.sub(f32.load(at(input, column.get())), maximum.get()), shift.get()))),
              ),
              seq(
                inverse.set(f32.div(1, total.get())),
                forLoop(column, 0, vectorEnd.get(), 4, f32x4.store(at(output, column.get()), f32x4.mul(f32x4.load(at(output, column.get())), f32x4.splat(inverse.get())))),
                forLoop(column, vectorEnd.get(), columns.get(), 1, f32.store(at(output, column.get()), f32.mul(f32.load(at(output, column.get())), inverse.get()))),
              ),
            ),
          ),
        ),
        row.set(i32.add(row.get(), 1)),
      )),
    );
  }, true);
}

/**
 * Natural log of a positive float (the log-softmax shift, once per row): exponent from the bits,
 * then log(m) for the mantissa m in [√½, √2) by the series of atanh((m − 1)/(m + 1)).
 */
function logOf(fn: FunctionBuilder, value: Expr<'f32'>): Expr<'f32'> {
  const bits = fn.local('i32');
  const exponent = fn.local('i32');
  const mantissa = fn.local('f32');
  const s = fn.local('f32');
  const s2 = fn.local('f32');
  // log(m) = 2·(s + s³/3 + s⁵/5 + s⁷/7 + s⁹/9 + s¹¹/11), s = (m − 1)/(m + 1), |s| ≤ 0.1716.
  const series = f32.mul(2, f32.mul(s.get(), f32.add(1, f32.mul(s2.get(), f32.add(1 / 3, f32.mul(s2.get(), f32.add(1 / 5, f32.mul(s2.get(), f32.add(1 / 7, f32.mul(s2.get(), f32.add(1 / 9, f32.mul(s2.get(), 1 / 11))))))))))));
  const code = seq(
    bits.set(i32.reinterpretF32(value)),
    exponent.set(i32.sub(i32.shrU(bits.get(), 23), 127)),
    mantissa.set(f32.reinterpretI32(i32.or(i32.and(bits.get(), 0x7fffff), 0x3f800000))),
    ifThen(f32.gt(mantissa.get(), Math.SQRT2), seq(mantissa.set(f32.mul(mantissa.get(), 0.5)), exponent.set(i32.add(exponent.get(), 1)))),
    s.set(f32.div(f32.sub(mantissa.get(), 1), f32.add(mantissa.get(), 1))),
    s2.set(f32.mul(s.get(), s.get())),
  );
  return { type: 'f32', code: [...code, ...f32.add(f32.mul(f32.fromI32(exponent.get()), Math.LN2), series).code] };
}
