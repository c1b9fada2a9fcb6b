// Independent oracles for the fused kernels: plain float64 loops, written from PyTorch's
// equations (not from the CPU backend's kernels), one sequence or one query row at a time. The
// conformance cases of `lstmSequence`, `gruSequence`, `rnnSequence` and the attention kernels
// compare every backend, the CPU backend's plain JS path included, with these.

/** One recurrent sweep's host inputs (T steps, B batch, H `size`, G gates); `projected` is row-major [T, B, G·H], `weightHidden` [G·H, H], `hidden` [B, H]. */
export interface SweepOracleInputs {
  steps: number;
  batch: number;
  size: number;
  projected: Float64Array;
  weightHidden: Float64Array;
  biasHidden: Float64Array | null;
  hidden: Float64Array;
  lengths: readonly number[] | null;
  reverse: boolean;
  batchFirst: boolean;
}

/** What a cell does at one step: reads `x` (G·H pre-activations from the input) and `h`, returns h' and the rows it saves. */
type Cell = (x: Float64Array, hiddenPart: Float64Array, h: Float64Array, c: Float64Array) => { h: Float64Array<ArrayBufferLike>; saved: readonly Float64Array<ArrayBufferLike>[] };

const sigmoid = (value: number): number => 1 / (1 + Math.exp(-value));

/** Runs `cell` over every sequence; returns output [rows, H], final h [B, H], final c [B, H] and each saved row set. */
function sweep(inputs: SweepOracleInputs, gates: number, cell: Cell, cell0: Float64Array | null, savedWidths: readonly number[]) {
  const { steps, batch, size } = inputs;
  const width = gates * size;
  const output = new Float64Array(steps * batch * size);
  const finalHidden = new Float64Array(batch * size);
  const finalCell = new Float64Array(batch * size);
  const saved = savedWidths.map((w) => new Float64Array(steps * batch * w));
  for (let b = 0; b < batch; b++) {
    let h: Float64Array<ArrayBufferLike> = inputs.hidden.slice(b * size, (b + 1) * size);
    let c: Float64Array<ArrayBufferLike> = cell0 ? cell0.slice(b * size, (b + 1) * size) : new Float64Array(size);
    const length = inputs.lengths ? inputs.lengths[b] : steps;
    for (let s = 0; s < length; s++) {
      const t = inputs.reverse ? length - 1 - s : s;
      const x = inputs.projected.slice((t * batch + b) * width, (t * batch + b + 1) * width);
      const hiddenPart = new Float64Array(width);
      for (let k = 0; k < width; k++) {
        let total = inputs.biasHidden ? inputs.biasHidden[k] : 0;
        for (let j = 0; j < size; j++) total += inputs.weightHidden[k * size + j] * h[j];
        hiddenPart[k] = total;
      }
      const next = cell(x, hiddenPart, h, c);
      h = next.h;
      if (cell0) c = next.saved[next.saved.length - 1];
      const row = inputs.batchFirst ? b * steps + t : t * batch + b;
      output.set(h, row * size);
      next.saved.forEach((values, index) => saved[index].set(values, row * savedWidths[index]));
    }
    finalHidden.set(h, b * size);
    finalCell.set(c, b * size);
  }
  return { output, hidden: finalHidden, cell: finalCell, saved };
}

/**
 * PyTorch's LSTM (gates i, f, g, o) over each sequence in float64: returns output, hidden, cell,
 * gates (rows of 4H) and cells (rows of H), rows ordered as `lstmSequence` orders them.
 *
 * @example
 * ```ts
 * const [output, hidden, cell] = lstmOracle({ steps: 2, batch: 1, size: 1, projected, weightHidden, biasHidden: null, hidden: h0, lengths: null, reverse: false, batchFirst: false }, c0);
 * ```
 */
export function lstmOracle(inputs: SweepOracleInputs, cell: Float64Array): Float64Array[] {
  const H = inputs.size;
  const result = sweep(
    inputs,
    4,
    (x, hp, _h, c) => {
      const gates = new Float64Array(4 * H);
      const next = new Float64Array(H);
      const cells = new Float64Array(H);
      for (let j = 0; j < H; j++) {
        const i = sigmoid(x[j] + hp[j]);
        const f = sigmoid(x[H + j] + hp[H + j]);
        const g = Math.tanh(x[2 * H + j] + hp[2 * H + j]);
        const o = sigmoid(x[3 * H + j] + hp[3 * H + j]);
        cells[j] = f * c[j] + i * g;
        next[j] = o * Math.tanh(cells[j]);
        [gates[j], gates[H + j], gates[2 * H + j], gates[3 * H + j]] = [i, f, g, o];
      }
      return { h: next, saved: [gates, cells] };
    },
    cell,
    [4 * H, H],
  );
  return [result.output, result.hidden, result.cell, ...result.saved];
}

/** PyTorch's GRU (r, z, n) in float64: returns output, hidden, and gates (rows of 4H: r, z, n, W_hn·h + b_hn). @example `const [output, hidden] = gruOracle(inputs)` */
export function gruOracle(inputs: SweepOracleInputs): Float64Array[] {
  const H = inputs.size;
  const result = sweep(
    inputs,
    3,
    (x, hp, h) => {
      const gates = new Float64Array(4 * H);
      const next = new Float64Array(H);
      for (let j = 0; j < H; j++) {
        const r = sigmoid(x[j] + hp[j]);
        const z = sigmoid(x[H + j] + hp[H + j]);
        const n = Math.tanh(x[2 * H + j] + r * hp[2 * H + j]);
        next[j] = (1 - z) * n + z * h[j];
        [gates[j], gates[H + j], gates[2 * H + j], gates[3 * H + j]] = [r, z, n, hp[2 * H + j]];
      }
      return { h: next, saved: [gates] };
    },
    null,
    [4 * H],
  );
  return [result.output, result.hidden, ...result.saved];
}

/** PyTorch's Elman RNN `h' = act(x + W_hh h + b_hh)` in float64: returns output and hidden. @example `const [output, hidden] = rnnOracle(inputs, 'tanh')` */
export function rnnOracle(inputs: SweepOracleInputs, nonlinearity: 'tanh' | 'relu'): Float64Array[] {
  const result = sweep(
    inputs,
    1,
    (x, hp) => ({ h: x.map((value, j) => (nonlinearity === 'tanh' ? Math.tanh(value + hp[j]) : Math.max(0, value + hp[j]))), saved: [] }),
    null,
    [],
  );
  return [result.output, result.hidden];
}

/** One fused attention call's host inputs: query [N, L, D], key [N, S, D], value [N, S, Dv], mask [N, L, S] (1 = may attend) or null. */
export interface AttentionOracleInputs {
  shape: { batches: number; queries: number; keys: number; depth: number; valueDepth: number };
  query: Float64Array;
  key: Float64Array;
  value: Float64Array;
  mask: Float64Array | null;
  causal: boolean;
  scale: number;
  window: readonly [number, number] | null;
  gradOutput: Float64Array;
}

/**
 * Attention with softmax over the allowed keys (causal and window bottom-right aligned), and its
 * gradients: returns output [N, L, Dv], logSumExp [N, L] (-Infinity for a row with no key),
 * gradQuery, gradKey, gradValue.
 *
 * @example
 * ```ts
 * const [output, logSumExp] = attentionOracle({ shape: { batches: 1, queries: 2, keys: 3, depth: 4, valueDepth: 4 }, query, key, value, mask: null, causal: true, scale: 0.5, window: null, gradOutput });
 * ```
 */
export function attentionOracle(inputs: AttentionOracleInputs): Float64Array[] {
  const { batches: N, queries: L, keys: S, depth: D, valueDepth: Dv } = inputs.shape;
  const output = new Float64Array(N * L * Dv);
  const logSumExp = new Float64Array(N * L);
  const gradQuery = new Float64Array(N * L * D);
  const gradKey = new Float64Array(N * S * D);
  const gradValue = new Float64Array(N * S * Dv);
  for (let n = 0; n < N; n++) {
    for (let i = 0; i < L; i++) {
      const diagonal = i + S - L;
      const allowed = (j: number): boolean =>
        (!inputs.causal || j <= diagonal) &&
        (!inputs.window || (j >= diagonal - inputs.window[0] && j <= diagonal + inputs.window[1])) &&
        (!inputs.mask || inputs.mask[(n * L + i) * S + j] !== 0);
      const scores = Array.from({ length: S }, (_, j) => {
        if (!allowed(j)) return -Infinity;
        let dot = 0;
        for (let d = 0; d < D; d++) dot += inputs.query[(n * L + i) * D + d] * inputs.key[(n * S + j) * D + d];
        return dot * inputs.scale;
      });
      const peak = Math.max(...scores);
      if (peak === -Infinity) {
        logSumExp[n * L + i] = -Infinity;
        continue;
      }
      const total = scores.reduce((sum, score) => sum + Math.exp(score - peak), 0);
      logSumExp[n * L + i] = peak + Math.log(total);
      const weights = scores.map((score) => Math.exp(score - peak) / total);
      const gradOut = inputs.gradOutput.subarray((n * L + i) * Dv, (n * L + i + 1) * Dv);
      for (let j = 0; j < S; j++) for (let e = 0; e < Dv; e++) output[(n * L + i) * Dv + e] += weights[j] * inputs.value[(n * S + j) * Dv + e];
      // dP = dO·Vᵀ; dS = P ∘ (dP − Σ dO ∘ O); dQ = scale·dS·K; dK = scale·dSᵀ·Q; dV = Pᵀ·dO.
      let rowDot = 0;
      for (let e = 0; e < Dv; e++) rowDot += gradOut[e] * output[(n * L + i) * Dv + e];
      for (let j = 0; j < S; j++) {
        if (weights[j] === 0) continue;
        let gradWeight = 0;
        for (let e = 0; e < Dv; e++) {
          gradWeight += gradOut[e] * inputs.value[(n * S + j) * Dv + e];
          gradValue[(n * S + j) * Dv + e] += weights[j] * gradOut[e];
        }
        const gradScore = weights[j] * (gradWeight - rowDot) * inputs.scale;
        for (let d = 0; d < D; d++) {
          gradQuery[(n * L + i) * D + d] += gradScore * inputs.key[(n * S + j) * D + d];
          gradKey[(n * S + j) * D + d] += gradScore * inputs.query[(n * L + i) * D + d];
        }
      }
    }
  }
  return [output, logSumExp, gradQuery, gradKey, gradValue];
}
