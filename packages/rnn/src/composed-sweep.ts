import { backward, noGrad, record, stack, tensor, where, withGradEnabled, zerosLike, type Tensor } from '@heed/tensor';
import { recurrentStep, type RecurrentState } from './recurrent-step.js';
import { pack, unpack, type SweepResult } from './packed-result.js';
import type { SweepInputs } from './sweep.js';

/** Step `t` of a [T, B, ·] or [B, T, ·] tensor, as a [B, ·] view. */
function stepOf(x: Tensor, t: number, batchFirst: boolean): Tensor {
  const axis = batchFirst ? 1 : 0;
  return x.slice(axis, t, t + 1).squeeze(axis);
}

/**
 * The recurrence of one layer and direction in tensor ops, for backends other than the CPU. The
 * forward runs step by step without recording; the gradient rule walks the steps in reverse and
 * differentiates each step on its own (recomputing it from the saved previous state), so memory
 * holds one state per step and the backward is linear in T.
 */
export function composedSweep(inputs: SweepInputs): SweepResult {
  const { mode, projected, h0, c0, weightHh, biasHh, weightHr, batchFirst, reverse, lengths } = inputs;
  // `size` is the width of h (projSize for a projected LSTM); `cellSize` that of c.
  const [batch, size] = h0.shape;
  const cellSize = c0 ? c0.shape[1] : null;
  const steps = projected.shape[batchFirst ? 1 : 0];
  const backend = projected.backend;
  // active[t] is [B, 1], true where step t is real for sequence b.
  const active = lengths
    ? Array.from({ length: steps }, (_, t) =>
        tensor(Uint8Array.from(lengths, (length) => (t < length ? 1 : 0)), { dtype: 'bool', shape: [batch, 1], backend }),
      )
    : null;
  const order = Array.from({ length: steps }, (_, s) => (reverse ? steps - 1 - s : s));
  const before: RecurrentState[] = new Array<RecurrentState>(steps);
  const outputs: Tensor[] = new Array<Tensor>(steps);
  const final = noGrad(() => {
    let state: RecurrentState = { h: h0, c: c0 };
    for (const t of order) {
      before[t] = state;
      const next = recurrentStep(mode, stepOf(projected, t, batchFirst), state, weightHh, biasHh, weightHr);
      const mask = active?.[t];
      if (mask) {
        outputs[t] = where(mask, next.h, 0);
        state = { h: where(mask, next.h, state.h), c: next.c && state.c ? where(mask, next.c, state.c) : null };
      } else {
        outputs[t] = next.h;
        state = next;
      }
    }
    return state;
  });
  const packed = noGrad(() => pack(stack(outputs, batchFirst ? 1 : 0), final.h, final.c));
  const differentiable = [projected, h0, ...(c0 ? [c0] : []), weightHh, ...(biasHh ? [biasHh] : []), ...(weightHr ? [weightHr] : [])];
  const outputShape = batchFirst ? [batch, steps, size] : [steps, batch, size];
  record(mode, packed, differentiable, (grad) => {
    const seeds = unpack(grad, outputShape, batch, size, cellSize);
    const weightLeaf = weightHh.detach().requiresGrad_();
    const biasLeaf = biasHh ? biasHh.detach().requiresGrad_() : null;
    const projectionLeaf = weightHr ? weightHr.detach().requiresGrad_() : null;
    const gradProjected: Tensor[] = new Array<Tensor>(steps);
    let gradH = seeds.hN;
    let gradC = seeds.cN;
    for (let s = steps - 1; s >= 0; s--) {
      const t = order[s];
      const inputLeaf = stepOf(projected, t, batchFirst).detach().requiresGrad_();
      const previous = before[t];
      const hLeaf = previous.h.detach().requiresGrad_();
      const cLeaf = previous.c ? previous.c.detach().requiresGrad_() : null;
      withGradEnabled(true, () => {
        const next = recurrentStep(mode, inputLeaf, { h: hLeaf, c: cLeaf }, weightLeaf, biasLeaf, projectionLeaf);
        const mask = active?.[t];
        const h = mask ? where(mask, next.h, hLeaf) : next.h;
        const output = mask ? where(mask, next.h, 0) : next.h;
        let loss = h.mul(gradH).sum().add(output.mul(stepOf(seeds.output, t, batchFirst)).sum());
        if (next.c && cLeaf && gradC) loss = loss.add((mask ? where(mask, next.c, cLeaf) : next.c).mul(gradC).sum());
        backward(loss);
      });
      gradProjected[t] = inputLeaf.grad ?? zerosLike(inputLeaf);
      gradH = hLeaf.grad ?? zerosLike(hLeaf);
      gradC = cLeaf ? (cLeaf.grad ?? zerosLike(cLeaf)) : null;
    }
    const out: (Tensor | null)[] = [stack(gradProjected, batchFirst ? 1 : 0), gradH];
    if (c0) out.push(gradC);
    out.push(weightLeaf.grad);
    if (biasHh) out.push(biasLeaf?.grad ?? null);
    if (weightHr) out.push(projectionLeaf?.grad ?? null);
    return out;
  });
  return unpack(packed, outputShape, batch, size, cellSize);
}
