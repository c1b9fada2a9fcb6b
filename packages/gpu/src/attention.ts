import type { FusedKernels, View } from '@heed/tensor';
import type { GpuHandle, Runner } from './device.js';
import { binaryProgram } from './kernels/elementwise.js';
import { concatGroup, concatProgram } from './kernels/indexing.js';
import { matmulProgram } from './kernels/matmul.js';
import { ProgramBuilder, denseView, divide, type Program } from './program.js';

/**
 * Fused attention on gpu.js, FlashAttention's outer loop: keys are visited in tiles of `block`
 * columns; each tile's scores ([N, L, block], never the full [N, L, S] matrix when S is large)
 * update a running max, a running sum and an output accumulator (the online softmax), so device
 * memory is bounded by the tile. Masks (any strided bool view broadcast to [N, L, S]), the
 * bottom-right causal rule and sliding windows are applied inside the score kernel. A row with
 * no allowed key gets output 0 and logSumExp -Infinity. The backward recomputes each tile's
 * probabilities from logSumExp, as FlashAttention does.
 */

type ForwardArgs = FusedKernels<GpuHandle>['attentionForward']['args'];
type BackwardArgs = FusedKernels<GpuHandle>['attentionBackward']['args'];
type Rules = Pick<ForwardArgs, 'mask' | 'causal' | 'window' | 'scale'>;

interface Sizes {
  batches: number;
  queries: number;
  keys: number;
  depth: number;
  valueDepth: number;
}

function sizes(args: Pick<ForwardArgs, 'query' | 'key' | 'value'>): Sizes {
  const [batches, queries, depth] = args.query.shape;
  return { batches, queries, keys: args.key.shape[1], depth, valueDepth: args.value.shape[2] };
}

/** Key columns per tile: as many as fit `tileElements` scores, at least one, at most S. */
function blockSize(size: Sizes, tileElements: number): number {
  const rows = Math.max(1, size.batches * size.queries);
  return Math.max(1, Math.min(size.keys, Math.floor(tileElements / rows)));
}

/**
 * Statements computing `score` for batch `n`, query row `row` and key column `column` (all
 * declared by the caller), or `allowed = false` when masked. Declares `allowed` and `score`.
 */
function scoreLines(builder: ProgramBuilder, args: Pick<ForwardArgs, 'query' | 'key'> & Rules, size: Sizes): string[] {
  const query = builder.view(args.query, 'query');
  const key = builder.view(args.key, 'key');
  const [qn, ql, qd] = builder.integers('queryStride', args.query.strides);
  const [kn, ks, kd] = builder.integers('keyStride', args.key.strides);
  const depth = builder.integer('depth', size.depth);
  const shift = builder.integer('alignment', size.keys - size.queries);
  const scale = builder.float('scale', args.scale);
  const lines = [`const aligned = row + ${shift};`, 'let allowed = 1.0;'];
  if (args.causal) lines.push('if (column > aligned) { allowed = 0.0; }');
  if (args.window) {
    const [before, after] = [builder.integer('windowBefore', args.window[0]), builder.integer('windowAfter', args.window[1])];
    lines.push(`if (column < aligned - ${before} || column > aligned + ${after}) { allowed = 0.0; }`);
  }
  if (args.mask) {
    const mask = builder.view(args.mask, 'mask');
    const [mn, ml, ms] = builder.integers('maskStride', args.mask.strides);
    lines.push(`if (${mask.array}[${mask.offset} + n * ${mn} + row * ${ml} + column * ${ms}] === 0.0) { allowed = 0.0; }`);
  }
  lines.push(
    'let score = 0.0;',
    'if (allowed !== 0.0) {',
    `  const queryStart = ${query.offset} + n * ${qn} + row * ${ql};`,
    `  const keyStart = ${key.offset} + n * ${kn} + column * ${ks};`,
    `  for (let d = 0; d < ${depth}; d++) {`,
    `    score += ${query.array}[queryStart + d * ${qd}] * ${key.array}[keyStart + d * ${kd}];`,
    '  }',
    `  score = score * ${scale};`,
    '}',
  )
  return lines;
}

/** Splits the tile index into `n`, `row` and `column` (the key column, offset by the tile start). */
function tileIndex(builder: ProgramBuilder, size: Sizes, first: number, block: number): string[] {
  const queries = builder.integer('queries', size.queries);
  const width = builder.integer('block', block);
  const start = builder.integer('first', first);
  return [
    'const index = this.thread.x;',
    divide('index', width, 'tileRow', 'tileColumn'),
    divide('tileRow', queries, 'n', 'row'),
    `const column = tileColumn + ${start};`,
  ];
}

/** Scores of key columns [first, first + block) as [N, L, block]; masked entries are -Infinity. */
function scoresProgram(args: ForwardArgs, size: Sizes, first: number, block: number): Program {
  const builder = new ProgramBuilder();
  const negativeInfinity = builder.float('negativeInfinity', -Infinity);
  const lines = tileIndex(builder, size, first, block);
  lines.push(...scoreLines(builder, args, size), `return allowed !== 0.0 ? score : ${negativeInfinity};`);
  return builder.build('attention.scores', lines.filter(Boolean).join('\n'), size.batches * size.queries * block);
}

/** Running (max, sum) per row, interleaved as [N·L·2], updated with one tile of scores. */
function statsProgram(scores: GpuHandle, previous: GpuHandle | null, rows: number, block: number): Program {
  const builder = new ProgramBuilder();
  const tile = builder.view(denseView(scores, [rows * block]), 'scores');
  const old = previous ? builder.view(denseView(previous, [rows * 2]), 'previous') : null;
  const negativeInfinity = builder.float('negativeInfinity', -Infinity);
  const width = builder.integer('block', block);
  const lines = [
    'const which = this.thread.x % 2;',
    'const row = (this.thread.x - which) / 2;',
    `const start = ${tile.offset} + row * ${width};`,
    `let best = ${old ? `${old.array}[${old.offset} + row * 2]` : negativeInfinity};`,
    `for (let column = 0; column < ${width}; column++) {`,
    `  best = Math.max(best, ${tile.array}[start + column]);`,
    '}',
    'if (which === 0) { return best; }',
    `if (best === ${negativeInfinity}) { return 0.0; }`,
    'let total = 0.0;',
  ];
  if (old) {
    lines.push(
      `const oldBest = ${old.array}[${old.offset} + row * 2];`,
      `if (oldBest !== ${negativeInfinity}) { total = ${old.array}[${old.offset} + row * 2 + 1] * Math.exp(oldBest - best); }`,
    );
  }
  // gpu.js's cpu mode hoists loop variables: each loop needs its own name.
  lines.push(`for (let second = 0; second < ${width}; second++) {`, `  total += Math.exp(${tile.array}[start + second] - best);`, '}', 'return total;');
  return builder.build('attention.stats', lines.join('\n'), rows * 2);
}

/**
 * The output accumulator [N, L, Dv] after one more tile: the previous accumulator rescaled to
 * the new max, plus this tile's exp(score - max)·value. The last tile divides by the sum.
 */
function accumulateProgram(args: ForwardArgs, size: Sizes, scores: GpuHandle, stats: GpuHandle, previous: { accumulator: GpuHandle; stats: GpuHandle } | null, first: number, block: number, last: boolean): Program {
  const rows = size.batches * size.queries;
  const builder = new ProgramBuilder();
  const tile = builder.view(denseView(scores, [rows * block]), 'scores');
  const current = builder.view(denseView(stats, [rows * 2]), 'stats');
  const value = builder.view(args.value, 'value');
  const old = previous
    ? { accumulator: builder.view(denseView(previous.accumulator, [rows * size.valueDepth]), 'accumulator'), stats: builder.view(denseView(previous.stats, [rows * 2]), 'previous') }
    : null;
  const negativeInfinity = builder.float('negativeInfinity', -Infinity);
  const [vn, vs, vd] = builder.integers('valueStride', args.value.strides);
  const [valueDepth, queries, width, start] = [
    builder.integer('valueDepth', size.valueDepth),
    builder.integer('queries', size.queries),
    builder.integer('block', block),
    builder.integer('first', first),
  ];
  const lines = [
    'const index = this.thread.x;',
    divide('index', valueDepth, 'row', 'channel'),
    divide('row', queries, 'n', 'rowInBatch'),
    `const best = ${current.array}[${current.offset} + row * 2];`,
    `if (best === ${negativeInfinity}) { return 0.0; }`,
    'let total = 0.0;',
  ];
  if (old) {
    lines.push(
      `const oldBest = ${old.stats.array}[${old.stats.offset} + row * 2];`,
      `if (oldBest !== ${negativeInfinity}) { total = ${old.accumulator.array}[${old.accumulator.offset} + index] * Math.exp(oldBest - best); }`,
    );
  }
  lines.push(
    `const start = ${tile.offset} + row * ${width};`,
    `const valueStart = ${value.offset} + n * ${vn} + channel * ${vd} + ${start} * ${vs};`,
    `for (let column = 0; column < ${width}; column++) {`,
    `  total += Math.exp(${tile.array}[start + column] - best) * ${value.array}[valueStart + column * ${vs}];`,
    '}',
  );
  lines.push(last ? `return total / ${current.array}[${current.offset} + row * 2 + 1];` : 'return total;');
  return builder.build('attention.accumulate', lines.join('\n'), rows * size.valueDepth);
}

/** logSumExp per row from the final (max, sum): -Infinity for a row with no allowed key. */
function logSumExpProgram(stats: GpuHandle, rows: number): Program {
  const builder = new ProgramBuilder();
  const current = builder.view(denseView(stats, [rows * 2]), 'stats');
  const negativeInfinity = builder.float('negativeInfinity', -Infinity);
  const body = [
    `const best = ${current.array}[${current.offset} + this.thread.x * 2];`,
    `if (best === ${negativeInfinity}) { return ${negativeInfinity}; }`,
    `return best + Math.log(${current.array}[${current.offset} + this.thread.x * 2 + 1]);`,
  ].join('\n');
  return builder.build('attention.logSumExp', body, rows);
}

/** The fused forward: output [N, L, Dv] and logSumExp [N, L]. */
export function attentionForward(runner: Runner, args: ForwardArgs): { output: GpuHandle; logSumExp: GpuHandle } {
  const size = sizes(args);
  const rows = size.batches * size.queries;
  if (rows === 0 || size.keys === 0) {
    const fill = (count: number, value: number): GpuHandle => {
      const builder = new ProgramBuilder();
      return runner.run(builder.build('fill', `return ${builder.float('fillValue', value)};`, count));
    };
    return { output: fill(rows * size.valueDepth, 0), logSumExp: fill(rows, -Infinity) };
  }
  const block = blockSize(size, runner.tileElements);
  let stats: GpuHandle | null = null;
  let accumulator: GpuHandle | null = null;
  for (let first = 0; first < size.keys; first += block) {
    const width = Math.min(block, size.keys - first);
    const last = first + width >= size.keys;
    const scores = runner.run(scoresProgram(args, size, first, width));
    const nextStats = runner.run(statsProgram(scores, stats, rows, width));
    const previous = stats && accumulator ? { accumulator, stats } : null;
    const nextAccumulator = runner.run(accumulateProgram(args, size, scores, nextStats, previous, first, width, last));
    runner.dispose(scores);
    if (stats) runner.dispose(stats);
    if (accumulator) runner.dispose(accumulator);
    stats = nextStats;
    accumulator = nextAccumulator;
  }
  const logSumExp = runner.run(logSumExpProgram(stats!, rows));
  runner.dispose(stats!);
  return { output: accumulator!, logSumExp };
}

/** Per row: Σ_c gradOutput·output (FlashAttention's D), as [N·L]. */
function rowDotProgram(gradOutput: View, output: View, size: Sizes): Program {
  const builder = new ProgramBuilder();
  const grad = builder.view(gradOutput, 'grad');
  const out = builder.view(output, 'output');
  const [gn, gl, gc] = builder.integers('gradStride', gradOutput.strides);
  const [on, ol, oc] = builder.integers('outputStride', output.strides);
  const [queries, valueDepth] = [builder.integer('queries', size.queries), builder.integer('valueDepth', size.valueDepth)];
  const lines = [
    'const row = this.thread.x;',
    divide('row', queries, 'n', 'l'),
    'let total = 0.0;',
    `for (let c = 0; c < ${valueDepth}; c++) {`,
    `  total += ${grad.array}[${grad.offset} + n * ${gn} + l * ${gl} + c * ${gc}] * ${out.array}[${out.offset} + n * ${on} + l * ${ol} + c * ${oc}];`,
    '}',
    'return total;',
  ];
  return builder.build('attention.rowDot', lines.join('\n'), size.batches * size.queries);
}

/** Probabilities of key columns [first, first + block) recomputed from logSumExp, as [N, L, block]. */
function probabilitiesProgram(args: BackwardArgs, size: Sizes, first: number, block: number): Program {
  const builder = new ProgramBuilder();
  const lse = builder.view(args.logSumExp, 'lse');
  const negativeInfinity = builder.float('negativeInfinity', -Infinity);
  const [sn, sl] = builder.integers('lseStride', args.logSumExp.strides);
  const lines = tileIndex(builder, size, first, block);
  lines.push(`const rowLse = ${lse.array}[${lse.offset} + n * ${sn} + row * ${sl}];`);
  lines.push(`if (rowLse === ${negativeInfinity}) { return 0.0; }`);
  lines.push(...scoreLines(builder, args, size), 'return allowed !== 0.0 ? Math.exp(score - rowLse) : 0.0;');
  return builder.build('attention.probabilities', lines.filter(Boolean).join('\n'), size.batches * size.queries * block);
}

/** dScores = P ∘ (gradOutput·valueᵀ − D) · scale for one tile, as [N, L, block]. */
function gradScoresProgram(args: BackwardArgs, size: Sizes, probabilities: GpuHandle, rowDot: GpuHandle, first: number, block: number): Program {
  const builder = new ProgramBuilder();
  const p = builder.view(denseView(probabilities, [size.batches * size.queries * block]), 'p');
  const d = builder.view(denseView(rowDot, [size.batches * size.queries]), 'rowDot');
  const grad = builder.view(args.gradOutput, 'grad');
  const value = builder.view(args.value, 'value');
  const [gn, gl, gc] = builder.integers('gradStride', args.gradOutput.strides);
  const [vn, vs, vc] = builder.integers('valueStride', args.value.strides);
  const valueDepth = builder.integer('valueDepth', size.valueDepth);
  const scale = builder.float('scale', args.scale);
  const lines = tileIndex(builder, size, first, block);
  lines.push(
    `const probability = ${p.array}[${p.offset} + index];`,
    'if (probability === 0.0) { return 0.0; }',
    'let total = 0.0;',
    `const gradStart = ${grad.offset} + n * ${gn} + row * ${gl};`,
    `const valueStart = ${value.offset} + n * ${vn} + column * ${vs};`,
    `for (let c = 0; c < ${valueDepth}; c++) {`,
    `  total += ${grad.array}[gradStart + c * ${gc}] * ${value.array}[valueStart + c * ${vc}];`,
    '}',
    `return probability * (total - ${d.array}[${d.offset} + tileRow]) * ${scale};`,
  );
  return builder.build('attention.gradScores', lines.filter(Boolean).join('\n'), size.batches * size.queries * block);
}

/** A tile [N, L, block] seen transposed, [N, block, L], without a copy. */
function transposedTile(handle: GpuHandle, size: Sizes, block: number): View<GpuHandle> {
  return { handle, dtype: 'float32', shape: [size.batches, block, size.queries], strides: [size.queries * block, 1, block], offset: 0 };
}

/** Rows [first, first + block) of a [N, S, ·] view. */
function keyRows(view: View<GpuHandle>, first: number, block: number): View<GpuHandle> {
  return { ...view, shape: [view.shape[0], block, view.shape[2]], offset: view.offset + first * view.strides[1] };
}

/** The fused backward: gradients of query, key and value, recomputing probabilities tile by tile. */
export function attentionBackward(runner: Runner, args: BackwardArgs): { gradQuery: GpuHandle; gradKey: GpuHandle; gradValue: GpuHandle } {
  const size = sizes(args);
  const rows = size.batches * size.queries;
  const zeros = (count: number): GpuHandle => {
    const builder = new ProgramBuilder();
    return runner.run(builder.build('fill', `return ${builder.float('fillValue', 0)};`, count));
  };
  if (rows === 0 || size.keys === 0) {
    return { gradQuery: zeros(rows * size.depth), gradKey: zeros(size.batches * size.keys * size.depth), gradValue: zeros(size.batches * size.keys * size.valueDepth) };
  }
  const block = blockSize(size, runner.tileElements);
  const rowDot = runner.run(rowDotProgram(args.gradOutput, args.output, size));
  let gradQuery: GpuHandle | null = null;
  const keyParts: View<GpuHandle>[] = [];
  const valueParts: View<GpuHandle>[] = [];
  for (let first = 0; first < size.keys; first += block) {
    const width = Math.min(block, size.keys - first);
    const probabilities = runner.run(probabilitiesProgram(args, size, first, width));
    const gradScores = runner.run(gradScoresProgram(args, size, probabilities, rowDot, first, width));
    valueParts.push(denseView(runner.run(matmulProgram(transposedTile(probabilities, size, width), args.gradOutput)), [size.batches, width, size.valueDepth]));
    keyParts.push(denseView(runner.run(matmulProgram(transposedTile(gradScores, size, width), args.query)), [size.batches, width, size.depth]));
    const tileView = denseView(gradScores, [size.batches, size.queries, width]);
    const partial = runner.run(matmulProgram(tileView, keyRows(args.key, first, width)));
    if (gradQuery) {
      const shape = [size.batches, size.queries, size.depth];
      const sum = runner.run(binaryProgram('add', denseView(gradQuery, shape), denseView(partial, shape), shape));
      runner.dispose(gradQuery);
      runner.dispose(partial);
      gradQuery = sum;
    } else {
      gradQuery = partial;
    }
    runner.dispose(probabilities);
    runner.dispose(gradScores);
  }
  runner.dispose(rowDot);
  const join = (parts: View<GpuHandle>[], depth: number): GpuHandle => {
    if (parts.length === 1) return parts[0].handle;
    // Tiles are few (S / block); join them in groups the texture-unit limit allows.
    let joined = parts;
    while (joined.length > 1) {
      const next: View<GpuHandle>[] = [];
      for (let start = 0; start < joined.length; start += concatGroup) {
        const group = joined.slice(start, start + concatGroup);
        const groupShape = [size.batches, group.reduce((total, view) => total + view.shape[1], 0), depth];
        next.push(denseView(runner.run(concatProgram(group, 1, groupShape)), groupShape));
        for (const view of group) runner.dispose(view.handle);
      }
      joined = next;
    }
    return joined[0].handle;
  };
  return { gradQuery: gradQuery!, gradKey: join(keyParts, size.depth), gradValue: join(valueParts, size.valueDepth) };
}
