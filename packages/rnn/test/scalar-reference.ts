// An independent, deliberately plain implementation of PyTorch's recurrent layers over nested
// number arrays (one sequence at a time, scalar loops, no tensors), used as the oracle in tests.
// Variable lengths follow PyTorch's packed sequences: each sequence runs only over its own steps,
// the reverse direction starts at its last real step, and outputs past its end are zero.
import type { RecurrentMode } from '../src/index.js';

type Matrix = number[][];

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

function matVec(matrix: Matrix, vector: number[]): number[] {
  return matrix.map((row) => row.reduce((sum, weight, k) => sum + weight * vector[k], 0));
}

function cellStep(mode: RecurrentMode, x: number[], h: number[], c: number[], p: Record<string, Matrix | number[]>, suffix: string): [number[], number[]] {
  const size = h.length;
  const wih = p[`weight_ih${suffix}`] as Matrix;
  const whh = p[`weight_hh${suffix}`] as Matrix;
  const bih = (p[`bias_ih${suffix}`] as number[] | undefined) ?? new Array<number>(wih.length).fill(0);
  const bhh = (p[`bias_hh${suffix}`] as number[] | undefined) ?? new Array<number>(wih.length).fill(0);
  const gx = matVec(wih, x).map((v, j) => v + bih[j]);
  const gh = matVec(whh, h).map((v, j) => v + bhh[j]);
  const nextH = new Array<number>(size);
  const nextC = new Array<number>(size);
  for (let j = 0; j < size; j++) {
    if (mode === 'rnn_tanh') nextH[j] = Math.tanh(gx[j] + gh[j]);
    else if (mode === 'rnn_relu') nextH[j] = Math.max(0, gx[j] + gh[j]);
    else if (mode === 'lstm') {
      const i = sigmoid(gx[j] + gh[j]);
      const f = sigmoid(gx[size + j] + gh[size + j]);
      const g = Math.tanh(gx[2 * size + j] + gh[2 * size + j]);
      const o = sigmoid(gx[3 * size + j] + gh[3 * size + j]);
      nextC[j] = f * c[j] + i * g;
      nextH[j] = o * Math.tanh(nextC[j]);
    } else {
      const r = sigmoid(gx[j] + gh[j]);
      const z = sigmoid(gx[size + j] + gh[size + j]);
      const n = Math.tanh(gx[2 * size + j] + r * gh[2 * size + j]);
      nextH[j] = (1 - z) * n + z * h[j];
    }
  }
  return [nextH, mode === 'lstm' ? nextC : c];
}

/** Options of {@link scalarRecurrent}. */
export interface ScalarOptions {
  numLayers: number;
  bidirectional: boolean;
  hidden: number;
  /** [layers·dirs][B][H] */
  h0?: number[][][];
  c0?: number[][][];
  lengths?: number[];
}

/**
 * PyTorch's multi-layer recurrence for `x` [B][T][I] (batch first). Returns `output` [B][T][dirs·H]
 * and the final states [layers·dirs][B][H].
 */
export function scalarRecurrent(
  mode: RecurrentMode,
  x: number[][][],
  p: Record<string, Matrix | number[]>,
  options: ScalarOptions,
): { output: number[][][]; hN: number[][][]; cN: number[][][] } {
  const directions = options.bidirectional ? 2 : 1;
  const size = options.hidden;
  const zero = (): number[] => new Array<number>(size).fill(0);
  const hN: number[][][] = [];
  const cN: number[][][] = [];
  let input = x;
  for (let layer = 0; layer < options.numLayers; layer++) {
    const layerOut: number[][][] = input.map((sequence) => sequence.map(() => new Array<number>(directions * size).fill(0)));
    for (let direction = 0; direction < directions; direction++) {
      const index = layer * directions + direction;
      const suffix = `_l${layer}${direction === 1 ? '_reverse' : ''}`;
      hN[index] = [];
      cN[index] = [];
      input.forEach((sequence, b) => {
        const length = options.lengths?.[b] ?? sequence.length;
        let h = options.h0?.[index][b].slice() ?? zero();
        let c = options.c0?.[index][b].slice() ?? zero();
        for (let s = 0; s < length; s++) {
          const t = direction === 1 ? length - 1 - s : s;
          [h, c] = cellStep(mode, sequence[t], h, c, p, suffix);
          for (let j = 0; j < size; j++) layerOut[b][t][direction * size + j] = h[j];
        }
        hN[index][b] = h;
        cN[index][b] = c;
      });
    }
    input = layerOut;
  }
  return { output: input, hN, cN };
}
