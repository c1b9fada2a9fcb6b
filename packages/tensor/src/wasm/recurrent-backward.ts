import { f32x4, forLoop, i32, ifThen, seq, type ModuleBuilder } from './builder.js';
import { tanhInPlace } from './recurrent.js';

/**
 * Byte offsets of an LSTM backward step's arguments (i32 words). Layouts (floats, H8 = H
 * rounded up to 8): `gates` and `gradGates` [rows][4][H8] (i, f, g, o and their gradients),
 * `cells`, `gradOutput` [rows][H8], `cell0`, `gradHidden`, `gradCell`, `carry` [B][H8],
 * `lengths` [B] (i32); row = `t * B + b`, or `b * T + t` with `batchFirst`. `step` is the time
 * step t the call works on.
 */
export const LstmBackwardArgs = {
  gates: 0,
  cells: 4,
  gradOutput: 8,
  cell0: 12,
  gradHidden: 16,
  gradCell: 20,
  lengths: 24,
  gradGates: 28,
  carry: 32,
  steps: 36,
  batch: 40,
  size8: 44,
  reverse: 48,
  batchFirst: 52,
  step: 56,
} as const;

/**
 * `lstmBackwardStepChunk(args, chunk, thread)`: the gate gradients of step t for every sequence
 * with a real step t, four units per SIMD lane group: with dh = gradHidden + gradOutput[row],
 * dc = gradCell + dh ∘ o ∘ (1 − tanh²c): di = dc ∘ g ∘ i(1 − i), df = dc ∘ c_{t−1} ∘ f(1 − f),
 * dg = dc ∘ i ∘ (1 − g²), do = dh ∘ tanh c ∘ o(1 − o), and gradCell ← dc ∘ f.
 * `lstmBackwardCarryChunk(args, chunk, thread)`: gradHidden ← carry (the step's product
 * dgates · W_hh) for the same sequences; the others keep theirs (padded steps).
 */
export function addRecurrentBackward(module: ModuleBuilder): void {
  module.function('lstmBackwardStepChunk', ['i32', 'i32', 'i32'], [], (fn) => {
    const args = fn.param(0, 'i32');
    const arg = (offset: number) => i32.load(args.get(), offset);
    const [steps, batch, size8, t, b, length, row, previousRow, first, column, rowBytes, stateBytes] = fn.locals('i32', 12);
    const [gi, gf, gg, go, grad, tanhCell, gradCell, n, scale] = fn.locals('v128', 9);
    const rowOf = (step: ReturnType<typeof t.get>) => i32.select(i32.add(i32.mul(b.get(), steps.get()), step), i32.add(i32.mul(step, batch.get()), b.get()), arg(LstmBackwardArgs.batchFirst));
    const gateAt = (base: number, k: number) => i32.add(arg(base), i32.add(i32.shl(i32.mul(i32.add(i32.shl(row.get(), 2), k), size8.get()), 2), i32.shl(column.get(), 2)));
    const at = (base: number, offsetBytes: ReturnType<typeof t.get>) => i32.add(arg(base), i32.add(offsetBytes, i32.shl(column.get(), 2)));
    const one = f32x4.const(1);
    return seq(
      steps.set(arg(LstmBackwardArgs.steps)),
      batch.set(arg(LstmBackwardArgs.batch)),
      size8.set(arg(LstmBackwardArgs.size8)),
      t.set(arg(LstmBackwardArgs.step)),
      forLoop(b, 0, batch.get(), 1, seq(
        length.set(i32.load(i32.add(arg(LstmBackwardArgs.lengths), i32.shl(b.get(), 2)))),
        ifThen(i32.ltS(t.get(), length.get()), seq(
          row.set(rowOf(t.get())),
          first.set(i32.select(i32.eq(t.get(), i32.sub(length.get(), 1)), i32.eqz(t.get()), arg(LstmBackwardArgs.reverse))),
          previousRow.set(rowOf(i32.select(i32.add(t.get(), 1), i32.sub(t.get(), 1), arg(LstmBackwardArgs.reverse)))),
          rowBytes.set(i32.shl(i32.mul(row.get(), size8.get()), 2)),
          stateBytes.set(i32.shl(i32.mul(b.get(), size8.get()), 2)),
          forLoop(column, 0, size8.get(), 4, seq(
            grad.set(f32x4.add(f32x4.load(at(LstmBackwardArgs.gradHidden, stateBytes.get())), f32x4.load(at(LstmBackwardArgs.gradOutput, rowBytes.get())))),
            gi.set(f32x4.load(gateAt(LstmBackwardArgs.gates, 0))),
            gf.set(f32x4.load(gateAt(LstmBackwardArgs.gates, 1))),
            gg.set(f32x4.load(gateAt(LstmBackwardArgs.gates, 2))),
            go.set(f32x4.load(gateAt(LstmBackwardArgs.gates, 3))),
            tanhCell.set(f32x4.load(at(LstmBackwardArgs.cells, rowBytes.get()))),
            tanhInPlace(tanhCell, n, scale),
            gradCell.set(f32x4.add(
              f32x4.load(at(LstmBackwardArgs.gradCell, stateBytes.get())),
              f32x4.mul(f32x4.mul(grad.get(), go.get()), f32x4.sub(one, f32x4.mul(tanhCell.get(), tanhCell.get()))),
            )),
            f32x4.store(gateAt(LstmBackwardArgs.gradGates, 0), f32x4.mul(f32x4.mul(gradCell.get(), gg.get()), f32x4.mul(gi.get(), f32x4.sub(one, gi.get())))),
            f32x4.store(gateAt(LstmBackwardArgs.gradGates, 1), f32x4.mul(
              f32x4.mul(gradCell.get(), f32x4.load(i32.select(
                at(LstmBackwardArgs.cell0, stateBytes.get()),
                at(LstmBackwardArgs.cells, i32.shl(i32.mul(previousRow.get(), size8.get()), 2)),
                first.get(),
              ))),
              f32x4.mul(gf.get(), f32x4.sub(one, gf.get())),
            )),
            f32x4.store(gateAt(LstmBackwardArgs.gradGates, 2), f32x4.mul(f32x4.mul(gradCell.get(), gi.get()), f32x4.sub(one, f32x4.mul(gg.get(), gg.get())))),
            f32x4.store(gateAt(LstmBackwardArgs.gradGates, 3), f32x4.mul(f32x4.mul(grad.get(), tanhCell.get()), f32x4.mul(go.get(), f32x4.sub(one, go.get())))),
            f32x4.store(at(LstmBackwardArgs.gradCell, stateBytes.get()), f32x4.mul(gradCell.get(), gf.get())),
          )),
        )),
      )),
    );
  }, true);
  module.function('lstmBackwardCarryChunk', ['i32', 'i32', 'i32'], [], (fn) => {
    const args = fn.param(0, 'i32');
    const arg = (offset: number) => i32.load(args.get(), offset);
    const [batch, size8, t, b, column, address] = fn.locals('i32', 6);
    return seq(
      batch.set(arg(LstmBackwardArgs.batch)),
      size8.set(arg(LstmBackwardArgs.size8)),
      t.set(arg(LstmBackwardArgs.step)),
      forLoop(b, 0, batch.get(), 1,
        ifThen(i32.ltS(t.get(), i32.load(i32.add(arg(LstmBackwardArgs.lengths), i32.shl(b.get(), 2)))),
          forLoop(column, 0, size8.get(), 4, seq(
            address.set(i32.shl(i32.add(i32.mul(b.get(), size8.get()), column.get()), 2)),
            f32x4.store(i32.add(arg(LstmBackwardArgs.gradHidden), address.get()), f32x4.load(i32.add(arg(LstmBackwardArgs.carry), address.get()))),
          )),
        ),
      ),
    );
  }, true);
}
