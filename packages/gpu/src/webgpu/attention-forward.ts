// The WGSL flash attention forward (see attention-common.ts for the design).
import type { WgslRuntime, BufferResult } from './runtime.js';
import { ROWS, bind, dot4, header, keySplits, loader, maskTest, rowGroups, tileRows, uniforms, type ForwardArgs } from './attention-common.js';

function forwardSource(depth: number, valueDepth: number, tile: number, split: boolean): string {
  return /* wgsl */ `${header(depth, valueDepth)}
@group(0) @binding(1) var<storage, read> query: array<f32>;
@group(0) @binding(2) var<storage, read> key: array<f32>;
@group(0) @binding(3) var<storage, read> value: array<f32>;
@group(0) @binding(4) var<storage, read> mask: array<f32>;
@group(0) @binding(5) var<storage, read_write> output: array<f32>;
${split ? '' : '@group(0) @binding(6) var<storage, read_write> logSumExp: array<f32>;'}
const BC = ${tile}u;
var<workgroup> keyTile: array<vec4<f32>, ${tile}u * D4>;
var<workgroup> valueTile: array<vec4<f32>, ${tile}u * DV4>;
${loader('loadQuery', 'query', 'params.qD', 'params.depth')}
${loader('loadKey', 'key', 'params.kD', 'params.depth')}
${loader('loadValue', 'value', 'params.vD', 'params.valueDepth')}

@compute @workgroup_size(${ROWS})
fn main(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_index) thread: u32) {
  let n = group.y;
  let first = group.x * ${ROWS}u;
  let row = first + thread;
  let valid = row < params.queries;
  let range = keyRange(first, min(params.queries, first + ${ROWS}u) - 1u);
  var q = array<vec4<f32>, D4>();
  if (valid) {
    let base = params.qOffset + n * params.qN + row * params.qL;
    for (var c = 0u; c < D4; c++) { q[c] = loadQuery(base, c) * params.scale; }
  }
  var acc = array<vec4<f32>, DV4>();
  var scores: array<f32, BC>;
  var best = NONE;
  var total = 0.0;
  let tiles = select(0, (range.y - range.x + i32(BC)) / i32(BC), range.y >= range.x);
  let perSplit = (tiles + i32(params.splits) - 1) / i32(params.splits);
  let tileStart = i32(group.z) * perSplit;
  let tileEnd = min(tiles, tileStart + perSplit);
  for (var tileIndex = tileStart; tileIndex < tileEnd; tileIndex++) {
    let start = u32(range.x + tileIndex * i32(BC));
    workgroupBarrier();
    for (var e = thread; e < BC * D4; e += ${ROWS}u) {
      let j = start + e / D4;
      keyTile[e] = select(vec4<f32>(0.0), loadKey(params.kOffset + n * params.kN + j * params.kS, e % D4), i32(j) <= range.y);
    }
    for (var e = thread; e < BC * DV4; e += ${ROWS}u) {
      let j = start + e / DV4;
      valueTile[e] = select(vec4<f32>(0.0), loadValue(params.vOffset + n * params.vN + j * params.vS, e % DV4), i32(j) <= range.y);
    }
    workgroupBarrier();
    var tileBest = NONE;
    for (var j = 0u; j < BC; j++) {
      let key = start + j;
      var score = NONE;
      if (valid && i32(key) <= range.y && inBand(row, key) && (${maskTest})) {
        var products = vec4<f32>(0.0);
        for (var c = 0u; c < D4; c++) { products = fma(q[c], keyTile[j * D4 + c], products); }
        score = ${dot4('products')};
      }
      scores[j] = score;
      tileBest = max(tileBest, score);
    }
    if (tileBest > 0.5 * NONE) {
      let nextBest = max(best, tileBest);
      let correction = exp(best - nextBest);
      total = total * correction;
      for (var c = 0u; c < DV4; c++) { acc[c] = acc[c] * correction; }
      best = nextBest;
      for (var j = 0u; j < BC; j++) {
        if (scores[j] > 0.5 * NONE) {
          let p = exp(scores[j] - best);
          total += p;
          for (var c = 0u; c < DV4; c++) { acc[c] = fma(vec4<f32>(p), valueTile[j * DV4 + c], acc[c]); }
        }
      }
    }
  }
  if (!valid) { return; }
  let rowIndex = n * params.queries + row;
${
  split
    ? `  // Partial state of this split: [max, sum, acc…] per row, merged by the combine kernel.
  let width = params.valueDepth + 2u;
  let base = (group.z * params.batches * params.queries + rowIndex) * width;
  output[base] = best;
  output[base + 1u] = total;
  for (var d = 0u; d < params.valueDepth; d++) { output[base + 2u + d] = acc[d / 4u][d % 4u]; }`
    : `  let inverse = select(0.0, 1.0 / total, total > 0.0);
  for (var d = 0u; d < params.valueDepth; d++) { output[rowIndex * params.valueDepth + d] = acc[d / 4u][d % 4u] * inverse; }
  logSumExp[rowIndex] = select(params.negativeInfinity, best + log(total), total > 0.0);`
}
}
`;
}

function combineSource(): string {
  return /* wgsl */ `${header(4, 4)}
@group(0) @binding(1) var<storage, read> partial: array<f32>;
@group(0) @binding(2) var<storage, read_write> output: array<f32>;
@group(0) @binding(3) var<storage, read_write> logSumExp: array<f32>;

@compute @workgroup_size(${ROWS})
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  let rowIndex = id.x + id.y * 65535u * ${ROWS}u;
  let rows = params.batches * params.queries;
  if (rowIndex >= rows) { return; }
  let width = params.valueDepth + 2u;
  var best = NONE;
  for (var s = 0u; s < params.splits; s++) {
    let base = (s * rows + rowIndex) * width;
    if (partial[base + 1u] > 0.0) { best = max(best, partial[base]); }
  }
  var total = 0.0;
  for (var s = 0u; s < params.splits; s++) {
    let base = (s * rows + rowIndex) * width;
    if (partial[base + 1u] > 0.0) { total += partial[base + 1u] * exp(partial[base] - best); }
  }
  let inverse = select(0.0, 1.0 / total, total > 0.0);
  for (var d = 0u; d < params.valueDepth; d++) {
    var sum = 0.0;
    for (var s = 0u; s < params.splits; s++) {
      let base = (s * rows + rowIndex) * width;
      if (partial[base + 1u] > 0.0) { sum += partial[base + 2u + d] * exp(partial[base] - best); }
    }
    output[rowIndex * params.valueDepth + d] = sum * inverse;
  }
  logSumExp[rowIndex] = select(params.negativeInfinity, best + log(total), total > 0.0);
}
`;
}

/** Records and submits the forward; returns the output and logSumExp buffers (null when empty). */
export async function attentionForwardSubmit(runtime: WgslRuntime, args: ForwardArgs & { splits?: number }, values: (BufferResult | null)[], sizes: number[]): Promise<(BufferResult | null)[]> {
  const [batches, queries, depth] = args.query.shape;
  const [keys, valueDepth] = [args.key.shape[1], args.value.shape[2]];
  const [query, key, value, mask] = values;
  const outputs = sizes.map((size) => (size > 0 ? runtime.wrap(runtime.storage(size), size) : null));
  if (!outputs[1]) return outputs;
  const tile = tileRows(runtime, depth, valueDepth, 0);
  const splits = Math.min(keySplits(batches * queries, keys, tile, args.splits), Math.max(1, Math.ceil(keys / tile)));
  const [x, y] = [Math.ceil(queries / ROWS), batches];
  const inputs = [bind(runtime, query), bind(runtime, key), bind(runtime, value), bind(runtime, mask)];
  // An empty output (Dv = 0) still needs a writable buffer of its own (no aliasing with the dummy).
  const spare = runtime.storage(1);
  const out = outputs[0] ?? spare;
  if (splits === 1) {
    await runtime.submit([{ source: forwardSource(depth, valueDepth, tile, false), bindings: [...inputs, out, outputs[1]], uniforms: uniforms(args, 1), groups: [x, y, 1] }], [], [spare]);
    return outputs;
  }
  const partial = runtime.storage(splits * batches * queries * (valueDepth + 2));
  const parameters = uniforms(args, splits);
  await runtime.submit(
    [
      { source: forwardSource(depth, valueDepth, tile, true), bindings: [...inputs, partial], uniforms: parameters, groups: [x, y, splits] },
      { source: combineSource(), bindings: [partial, out, outputs[1]], uniforms: parameters, groups: rowGroups(batches * queries) },
    ],
    [],
    [partial, spare],
  );
  return outputs;
}
