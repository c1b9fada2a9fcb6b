import { f32x4, forLoop, i32, ifThen, seq, type ModuleBuilder } from './builder.js';
import { tanhInPlace } from './recurrent.js';

/**
 * Byte offsets of an LSTM, GRU or RNN backward step's arguments (i32 words). Layouts (floats, H8 = H
 * rounded up to 8): `gates` and `gradGates` [rows][4][H8] (i, f, g, o and their gradients),
 * `cells`, `gradOutput` [rows][H8], `cell0`, `gradHidden`, `gradCell`, `carry` [B][H8],
 * `lengths` [B] (i32); row = `t * B + b`, or `b * T + t` with `batchFirst`. `step` is the time
 * step t the call works on.
 */
export const SweepBackwardArgs = {
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
  /** GRU only: the forward's output [rows][H8] and h0 [B][H8] (the state each step started from). */
  output: 60,
  hidden0: 64,
  /** GRU only: the gradient of W_hh·h + b_hh [rows][3][H8] (its n block is r ∘ dn) and dh's direct part z ∘ dh [B][H8]. */
  gradHiddenPart: 68,
  direct: 72,
  /** Elman RNN only: 1 for relu, 0 for tanh. */
  relu: 76,
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
  addGruBackwardStep(module);
  addRnnBackwardStep(module);
  module.function('lstmBackwardStepChunk', ['i32', 'i32', 'i32'], [], (fn) => {
    const args = fn.param(0, 'i32');
    const arg = (offset: number) => i32.load(args.get(), offset);
    const [steps, batch, size8, t, b, length, row, previousRow, first, column, rowBytes, stateBytes] = fn.locals('i32', 12);
    const [gi, gf, gg, go, grad, tanhCell, gradCell, n, scale] = fn.locals('v128', 9);
    const rowOf = (step: ReturnType<typeof t.get>) => i32.select(i32.add(i32.mul(b.get(), steps.get()), step), i32.add(i32.mul(step, batch.get()), b.get()), arg(SweepBackwardArgs.batchFirst));
    const gateAt = (base: number, k: number) => i32.add(arg(base), i32.add(i32.shl(i32.mul(i32.add(i32.shl(row.get(), 2), k), size8.get()), 2), i32.shl(column.get(), 2)));
    const at = (base: number, offsetBytes: ReturnType<typeof t.get>) => i32.add(arg(base), i32.add(offsetBytes, i32.shl(column.get(), 2)));
    const one = f32x4.const(1);
    return seq(
      steps.set(arg(SweepBackwardArgs.steps)),
      batch.set(arg(SweepBackwardArgs.batch)),
      size8.set(arg(SweepBackwardArgs.size8)),
      t.set(arg(SweepBackwardArgs.step)),
      forLoop(b, 0, batch.get(), 1, seq(
        length.set(i32.load(i32.add(arg(SweepBackwardArgs.lengths), i32.shl(b.get(), 2)))),
        ifThen(i32.ltS(t.get(), length.get()), seq(
          row.set(rowOf(t.get())),
          first.set(i32.select(i32.eq(t.get(), i32.sub(length.get(), 1)), i32.eqz(t.get()), arg(SweepBackwardArgs.reverse))),
          previousRow.set(rowOf(i32.select(i32.add(t.get(), 1), i32.sub(t.get(), 1), arg(SweepBackwardArgs.reverse)))),
          rowBytes.set(i32.shl(i32.mul(row.get(), size8.get()), 2)),
          stateBytes.set(i32.shl(i32.mul(b.get(), size8.get()), 2)),
          forLoop(column, 0, size8.get(), 4, seq(
            grad.set(f32x4.add(f32x4.load(at(SweepBackwardArgs.gradHidden, stateBytes.get())), f32x4.load(at(SweepBackwardArgs.gradOutput, rowBytes.get())))),
            gi.set(f32x4.load(gateAt(SweepBackwardArgs.gates, 0))),
            gf.set(f32x4.load(gateAt(SweepBackwardArgs.gates, 1))),
            gg.set(f32x4.load(gateAt(SweepBackwardArgs.gates, 2))),
            go.set(f32x4.load(gateAt(SweepBackwardArgs.gates, 3))),
            tanhCell.set(f32x4.load(at(SweepBackwardArgs.cells, rowBytes.get()))),
            tanhInPlace(tanhCell, n, scale),
            gradCell.set(f32x4.add(
              f32x4.load(at(SweepBackwardArgs.gradCell, stateBytes.get())),
              f32x4.mul(f32x4.mul(grad.get(), go.get()), f32x4.sub(one, f32x4.mul(tanhCell.get(), tanhCell.get()))),
            )),
            f32x4.store(gateAt(SweepBackwardArgs.gradGates, 0), f32x4.mul(f32x4.mul(gradCell.get(), gg.get()), f32x4.mul(gi.get(), f32x4.sub(one, gi.get())))),
            f32x4.store(gateAt(SweepBackwardArgs.gradGates, 1), f32x4.mul(
              f32x4.mul(gradCell.get(), f32x4.load(i32.select(
                at(SweepBackwardArgs.cell0, stateBytes.get()),
                at(SweepBackwardArgs.cells, i32.shl(i32.mul(previousRow.get(), size8.get()), 2)),
                first.get(),
              ))),
              f32x4.mul(gf.get(), f32x4.sub(one, gf.get())),
            )),
            f32x4.store(gateAt(SweepBackwardArgs.gradGates, 2), f32x4.mul(f32x4.mul(gradCell.get(), gi.get()), f32x4.sub(one, f32x4.mul(gg.get(), gg.get())))),
            f32x4.store(gateAt(SweepBackwardArgs.gradGates, 3), f32x4.mul(f32x4.mul(grad.get(), tanhCell.get()), f32x4.mul(go.get(), f32x4.sub(one, go.get())))),
            f32x4.store(at(SweepBackwardArgs.gradCell, stateBytes.get()), f32x4.mul(gradCell.get(), gf.get())),
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
      batch.set(arg(SweepBackwardArgs.batch)),
      size8.set(arg(SweepBackwardArgs.size8)),
      t.set(arg(SweepBackwardArgs.step)),
      forLoop(b, 0, batch.get(), 1,
        ifThen(i32.ltS(t.get(), i32.load(i32.add(arg(SweepBackwardArgs.lengths), i32.shl(b.get(), 2)))),
          forLoop(column, 0, size8.get(), 4, seq(
            address.set(i32.shl(i32.add(i32.mul(b.get(), size8.get()), column.get()), 2)),
            f32x4.store(i32.add(arg(SweepBackwardArgs.gradHidden), address.get()), f32x4.add(
              f32x4.load(i32.add(arg(SweepBackwardArgs.carry), address.get())),
              // GRU: plus z ∘ dh, the part of dh_{t−1} that skips W_hh (0 for LSTM: no buffer).
              f32x4.bitselect(f32x4.load(i32.select(i32.add(arg(SweepBackwardArgs.direct), address.get()), 0, arg(SweepBackwardArgs.direct))), f32x4.const(0), f32x4.splatI32(i32.sub(0, i32.ne(arg(SweepBackwardArgs.direct), 0)))),
            )),
          )),
        ),
      ),
    );
  }, true);
}

/**
 * `gruBackwardStepChunk(args, chunk, thread)`: a GRU's gate gradients of step t (PyTorch's cell,
 * `gates` rows r, z, n, W_hn·h + b_hn): with dh = gradHidden + gradOutput[row] and h the state
 * the step started from, dn = dh ∘ (1 − z) ∘ (1 − n²), dr = dn ∘ (W_hn·h + b_hn) ∘ r(1 − r),
 * dz = dh ∘ (h − n) ∘ z(1 − z); `gradGates` gets (dr, dz, dn), `gradHiddenPart` (dr, dz, r ∘ dn)
 * and `direct` z ∘ dh. `gates` rows here are [4][H8], the others [3][H8].
 */
function addGruBackwardStep(module: ModuleBuilder): void {
  module.function('gruBackwardStepChunk', ['i32', 'i32', 'i32'], [], (fn) => {
    const args = fn.param(0, 'i32');
    const arg = (offset: number) => i32.load(args.get(), offset);
    const [steps, batch, size8, t, b, length, row, previousRow, first, column, rowBytes, stateBytes, gateRow, gradRow] = fn.locals('i32', 14);
    const [r, z, n, hiddenN, grad, gradN, previous] = fn.locals('v128', 7);
    const rowOf = (step: ReturnType<typeof t.get>) => i32.select(i32.add(i32.mul(b.get(), steps.get()), step), i32.add(i32.mul(step, batch.get()), b.get()), arg(SweepBackwardArgs.batchFirst));
    const at = (base: number, offsetBytes: ReturnType<typeof t.get>) => i32.add(arg(base), i32.add(offsetBytes, i32.shl(column.get(), 2)));
    const gate = (base: number, rowStart: ReturnType<typeof t.get>, k: number) => i32.add(arg(base), i32.add(rowStart, i32.shl(i32.add(i32.mul(k, size8.get()), column.get()), 2)));
    const one = f32x4.const(1);
    return seq(
      steps.set(arg(SweepBackwardArgs.steps)),
      batch.set(arg(SweepBackwardArgs.batch)),
      size8.set(arg(SweepBackwardArgs.size8)),
      t.set(arg(SweepBackwardArgs.step)),
      forLoop(b, 0, batch.get(), 1, seq(
        length.set(i32.load(i32.add(arg(SweepBackwardArgs.lengths), i32.shl(b.get(), 2)))),
        ifThen(i32.ltS(t.get(), length.get()), seq(
          row.set(rowOf(t.get())),
          first.set(i32.select(i32.eq(t.get(), i32.sub(length.get(), 1)), i32.eqz(t.get()), arg(SweepBackwardArgs.reverse))),
          previousRow.set(rowOf(i32.select(i32.add(t.get(), 1), i32.sub(t.get(), 1), arg(SweepBackwardArgs.reverse)))),
          rowBytes.set(i32.shl(i32.mul(row.get(), size8.get()), 2)),
          stateBytes.set(i32.shl(i32.mul(b.get(), size8.get()), 2)),
          gateRow.set(i32.shl(i32.mul(i32.shl(row.get(), 2), size8.get()), 2)),
          gradRow.set(i32.shl(i32.mul(i32.mul(row.get(), 3), size8.get()), 2)),
          forLoop(column, 0, size8.get(), 4, seq(
            grad.set(f32x4.add(f32x4.load(at(SweepBackwardArgs.gradHidden, stateBytes.get())), f32x4.load(at(SweepBackwardArgs.gradOutput, rowBytes.get())))),
            r.set(f32x4.load(gate(SweepBackwardArgs.gates, gateRow.get(), 0))),
            z.set(f32x4.load(gate(SweepBackwardArgs.gates, gateRow.get(), 1))),
            n.set(f32x4.load(gate(SweepBackwardArgs.gates, gateRow.get(), 2))),
            hiddenN.set(f32x4.load(gate(SweepBackwardArgs.gates, gateRow.get(), 3))),
            previous.set(f32x4.load(i32.select(
              at(SweepBackwardArgs.hidden0, stateBytes.get()),
              at(SweepBackwardArgs.output, i32.shl(i32.mul(previousRow.get(), size8.get()), 2)),
              first.get(),
            ))),
            gradN.set(f32x4.mul(f32x4.mul(grad.get(), f32x4.sub(one, z.get())), f32x4.sub(one, f32x4.mul(n.get(), n.get())))),
            // dr and dz go to both outputs; dn to gradGates, r ∘ dn to gradHiddenPart.
            hiddenN.set(f32x4.mul(f32x4.mul(gradN.get(), hiddenN.get()), f32x4.mul(r.get(), f32x4.sub(one, r.get())))),
            f32x4.store(gate(SweepBackwardArgs.gradGates, gradRow.get(), 0), hiddenN.get()),
            f32x4.store(gate(SweepBackwardArgs.gradHiddenPart, gradRow.get(), 0), hiddenN.get()),
            previous.set(f32x4.mul(f32x4.mul(grad.get(), f32x4.sub(previous.get(), n.get())), f32x4.mul(z.get(), f32x4.sub(one, z.get())))),
            f32x4.store(gate(SweepBackwardArgs.gradGates, gradRow.get(), 1), previous.get()),
            f32x4.store(gate(SweepBackwardArgs.gradHiddenPart, gradRow.get(), 1), previous.get()),
            f32x4.store(gate(SweepBackwardArgs.gradGates, gradRow.get(), 2), gradN.get()),
            f32x4.store(gate(SweepBackwardArgs.gradHiddenPart, gradRow.get(), 2), f32x4.mul(gradN.get(), r.get())),
            f32x4.store(at(SweepBackwardArgs.direct, stateBytes.get()), f32x4.mul(grad.get(), z.get())),
          )),
        )),
      )),
    );
  }, true);
}

/**
 * `rnnBackwardStepChunk(args, chunk, thread)`: an Elman RNN's pre-activation gradients of step t
 * from its output h: dh ∘ (1 − h²) for tanh, dh where h > 0 for relu (`gradGates` rows [1][H8]).
 */
function addRnnBackwardStep(module: ModuleBuilder): void {
  module.function('rnnBackwardStepChunk', ['i32', 'i32', 'i32'], [], (fn) => {
    const args = fn.param(0, 'i32');
    const arg = (offset: number) => i32.load(args.get(), offset);
    const [steps, batch, size8, t, b, row, column, rowBytes, stateBytes] = fn.locals('i32', 9);
    const [grad, value] = fn.locals('v128', 2);
    const at = (base: number, offsetBytes: ReturnType<typeof t.get>) => i32.add(arg(base), i32.add(offsetBytes, i32.shl(column.get(), 2)));
    return seq(
      steps.set(arg(SweepBackwardArgs.steps)),
      batch.set(arg(SweepBackwardArgs.batch)),
      size8.set(arg(SweepBackwardArgs.size8)),
      t.set(arg(SweepBackwardArgs.step)),
      forLoop(b, 0, batch.get(), 1,
        ifThen(i32.ltS(t.get(), i32.load(i32.add(arg(SweepBackwardArgs.lengths), i32.shl(b.get(), 2)))), seq(
          row.set(i32.select(i32.add(i32.mul(b.get(), steps.get()), t.get()), i32.add(i32.mul(t.get(), batch.get()), b.get()), arg(SweepBackwardArgs.batchFirst))),
          rowBytes.set(i32.shl(i32.mul(row.get(), size8.get()), 2)),
          stateBytes.set(i32.shl(i32.mul(b.get(), size8.get()), 2)),
          forLoop(column, 0, size8.get(), 4, seq(
            grad.set(f32x4.add(f32x4.load(at(SweepBackwardArgs.gradHidden, stateBytes.get())), f32x4.load(at(SweepBackwardArgs.gradOutput, rowBytes.get())))),
            value.set(f32x4.load(at(SweepBackwardArgs.output, rowBytes.get()))),
            f32x4.store(at(SweepBackwardArgs.gradGates, rowBytes.get()), ifThenVector(
              arg(SweepBackwardArgs.relu),
              f32x4.and(grad.get(), f32x4.gt(value.get(), f32x4.const(0))),
              f32x4.mul(grad.get(), f32x4.sub(f32x4.const(1), f32x4.mul(value.get(), value.get()))),
            )),
          )),
        )),
      ),
    );
  }, true);
}

/** `condition ? a : b` for vectors (both evaluated). */
function ifThenVector(condition: ReturnType<typeof i32.const>, a: ReturnType<typeof f32x4.const>, b: ReturnType<typeof f32x4.const>): ReturnType<typeof f32x4.const> {
  return f32x4.bitselect(a, b, f32x4.splatI32(i32.sub(0, i32.ne(condition, 0))));
}
