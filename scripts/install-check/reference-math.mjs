// Plain-JavaScript references for the install checks: nested arrays and float64 loops, no heed
// code, so the numbers an installed package computes are checked against an independent
// implementation. Shapes follow PyTorch: attention inputs [B, H, L, D], LSTM input [T, B, I].

/** Deterministic numbers in [-1, 1): a 32-bit LCG, so Node and the browser see the same inputs. */
export function numbers(seed) {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 31 - 1;
  };
}

/** A nested array of the given shape filled from `next`. */
export function filled(shape, next) {
  if (shape.length === 0) return next();
  return Array.from({ length: shape[0] }, () => filled(shape.slice(1), next));
}

/** Flattens a nested array in row-major order. */
export function flat(nested) {
  return Array.isArray(nested) ? nested.flatMap(flat) : [nested];
}

/** `a [n, k] · b [k, m]`. */
export function matmul(a, b) {
  return a.map((row) => b[0].map((_, j) => row.reduce((sum, value, k) => sum + value * b[k][j], 0)));
}

export function transpose(matrix) {
  return matrix[0].map((_, j) => matrix.map((row) => row[j]));
}

/**
 * `softmax(q kᵀ / √D) v` for one head, q [L, D], k [S, D], v [S, Dv]. With `causal`, query `i`
 * sees key `j` iff `j <= i + S - L` (bottom-right aligned); a row that sees no key is zero.
 */
export function attentionHead(q, k, v, causal) {
  const L = q.length;
  const S = k.length;
  const scale = 1 / Math.sqrt(q[0].length);
  return q.map((row, i) => {
    const allowed = k.map((_, j) => !causal || j <= i + S - L);
    if (!allowed.some(Boolean)) return v[0].map(() => 0);
    const scores = k.map((key, j) => (allowed[j] ? row.reduce((sum, x, d) => sum + x * key[d], 0) * scale : -Infinity));
    const max = Math.max(...scores);
    const weights = scores.map((score) => Math.exp(score - max));
    const total = weights.reduce((sum, w) => sum + w, 0);
    return v[0].map((_, c) => weights.reduce((sum, w, j) => sum + (w / total) * v[j][c], 0));
  });
}

/** Scaled dot-product attention over [B, H, L, D] nested arrays. */
export function attention(query, key, value, causal) {
  return query.map((heads, b) => heads.map((q, h) => attentionHead(q, key[b][h], value[b][h], causal)));
}

/**
 * PyTorch `nn.MultiheadAttention` (batch first) forward: x [B, L, E] attends to itself with
 * `in_proj_weight` [3E, E], `in_proj_bias` [3E], `out_proj.weight` [E, E], `out_proj.bias` [E].
 */
export function multiHeadSelfAttention(x, parameters, heads, causal) {
  const E = x[0][0].length;
  const D = E / heads;
  const linear = (rows, weight, bias) => matmul(rows, transpose(weight)).map((row) => row.map((value, j) => value + bias[j]));
  const w = parameters.in_proj_weight;
  const bias = parameters.in_proj_bias;
  return x.map((sequence) => {
    const [q, k, v] = [0, 1, 2].map((part) => linear(sequence, w.slice(part * E, (part + 1) * E), bias.slice(part * E, (part + 1) * E)));
    const split = (rows, h) => rows.map((row) => row.slice(h * D, (h + 1) * D));
    const perHead = Array.from({ length: heads }, (_, h) => attentionHead(split(q, h), split(k, h), split(v, h), causal));
    const joined = sequence.map((_, i) => perHead.flatMap((head) => head[i]));
    return linear(joined, parameters['out_proj.weight'], parameters['out_proj.bias']);
  });
}

const sigmoid = (x) => 1 / (1 + Math.exp(-x));

/**
 * A one-layer PyTorch `nn.LSTM` forward (gates i, f, g, o stacked in `weight_ih_l0` [4H, I],
 * `weight_hh_l0` [4H, H], `bias_ih_l0`, `bias_hh_l0` [4H]) over input [T, B, I] from zero state.
 * @returns `{ output [T, B, H], hN [1, B, H], cN [1, B, H] }`
 */
export function lstm(input, parameters) {
  const H = parameters.weight_hh_l0[0].length;
  const batch = input[0].length;
  let h = Array.from({ length: batch }, () => new Array(H).fill(0));
  let c = Array.from({ length: batch }, () => new Array(H).fill(0));
  const output = [];
  for (const step of input) {
    const next = step.map((x, b) => {
      const gates = parameters.weight_ih_l0.map(
        (row, g) =>
          row.reduce((sum, w, i) => sum + w * x[i], 0) +
          parameters.weight_hh_l0[g].reduce((sum, w, j) => sum + w * h[b][j], 0) +
          parameters.bias_ih_l0[g] +
          parameters.bias_hh_l0[g],
      );
      const cell = c[b].map((previous, j) => sigmoid(gates[H + j]) * previous + sigmoid(gates[j]) * Math.tanh(gates[2 * H + j]));
      return { cell, hidden: cell.map((value, j) => sigmoid(gates[3 * H + j]) * Math.tanh(value)) };
    });
    h = next.map((state) => state.hidden);
    c = next.map((state) => state.cell);
    output.push(h);
  }
  return { output, hN: [h], cN: [c] };
}

/**
 * Compares computed numbers with expected ones: `|a - e| <= atol + rtol·|e|` everywhere.
 * @returns `{ name, ok, detail }`, the shape each check reports
 */
export function compare(name, actual, expected, { atol = 1e-5, rtol = 1e-4 } = {}) {
  const a = Array.from(actual);
  const e = flat(expected);
  if (a.length !== e.length) return { name, ok: false, detail: `${a.length} values, expected ${e.length}` };
  let worst = 0;
  let worstIndex = -1;
  for (let index = 0; index < e.length; index += 1) {
    const excess = Math.abs(a[index] - e[index]) - (atol + rtol * Math.abs(e[index]));
    if (!(excess <= worst)) {
      worst = Number.isNaN(excess) ? Infinity : excess;
      worstIndex = index;
    }
  }
  const maxError = Math.max(...e.map((value, index) => Math.abs(a[index] - value)));
  return worstIndex < 0
    ? { name, ok: true, detail: `${e.length} values, max |error| ${maxError.toExponential(1)}` }
    : { name, ok: false, detail: `value ${worstIndex}: ${a[worstIndex]}, expected ${e[worstIndex]}` };
}
