// The WGSL flash attention backward (see attention-common.ts for the design).
import { Uniforms, spread, type BufferResult, type Dispatch, type WgslRuntime } from './runtime.js';
import { ROWS, bind, dot4, header, keySplits, loader, maskTest, rowGroups, tileRows, uniforms, type BackwardArgs } from './attention-common.js';

function statsSource(): string {
  return /* wgsl */ `${header(4, 4)}
@group(0) @binding(1) var<storage, read> output: array<f32>;
@group(0) @binding(2) var<storage, read> gradOutput: array<f32>;
@group(0) @binding(3) var<storage, read> logSumExp: array<f32>;
@group(0) @binding(4) var<storage, read_write> stats: array<f32>;

@compute @workgroup_size(${ROWS})
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  let rowIndex = id.x + id.y * 65535u * ${ROWS}u;
  if (rowIndex >= params.batches * params.queries) { return; }
  let n = rowIndex / params.queries;
  let row = rowIndex % params.queries;
  let lse = logSumExp[params.lOffset + n * params.lN + row * params.lL];
  var delta = 0.0;
  let o = params.oOffset + n * params.oN + row * params.oL;
  let g = params.gOffset + n * params.gN + row * params.gL;
  for (var d = 0u; d < params.valueDepth; d++) { delta += output[o + d * params.oD] * gradOutput[g + d * params.gD]; }
  stats[rowIndex * 2u] = select(lse, NONE, lse < 0.5 * NONE);
  stats[rowIndex * 2u + 1u] = delta;
}
`;
}

function keyGradientSource(depth: number, valueDepth: number, tile: number, split: boolean): string {
  return /* wgsl */ `${header(depth, valueDepth)}
@group(0) @binding(1) var<storage, read> query: array<f32>;
@group(0) @binding(2) var<storage, read> key: array<f32>;
@group(0) @binding(3) var<storage, read> value: array<f32>;
@group(0) @binding(4) var<storage, read> mask: array<f32>;
@group(0) @binding(5) var<storage, read> gradOutput: array<f32>;
@group(0) @binding(6) var<storage, read> stats: array<f32>;
${split ? '@group(0) @binding(7) var<storage, read_write> partial: array<f32>;' : '@group(0) @binding(7) var<storage, read_write> gradKey: array<f32>;\n@group(0) @binding(8) var<storage, read_write> gradValue: array<f32>;'}
const BQ = ${tile}u;
var<workgroup> queryTile: array<vec4<f32>, ${tile}u * D4>;
var<workgroup> gradTile: array<vec4<f32>, ${tile}u * DV4>;
var<workgroup> statTile: array<vec2<f32>, ${tile}u>;
${loader('loadQuery', 'query', 'params.qD', 'params.depth')}
${loader('loadKey', 'key', 'params.kD', 'params.depth')}
${loader('loadValue', 'value', 'params.vD', 'params.valueDepth')}
${loader('loadGrad', 'gradOutput', 'params.gD', 'params.valueDepth')}

@compute @workgroup_size(${ROWS})
fn main(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_index) thread: u32) {
  let n = group.y;
  let first = group.x * ${ROWS}u;
  let key = first + thread;
  let valid = key < params.keys;
  let range = queryRange(first, min(params.keys, first + ${ROWS}u) - 1u);
  var k = array<vec4<f32>, D4>();
  var v = array<vec4<f32>, DV4>();
  var gk = array<vec4<f32>, D4>();
  var gv = array<vec4<f32>, DV4>();
  if (valid) {
    for (var c = 0u; c < D4; c++) { k[c] = loadKey(params.kOffset + n * params.kN + key * params.kS, c); }
    for (var c = 0u; c < DV4; c++) { v[c] = loadValue(params.vOffset + n * params.vN + key * params.vS, c); }
  }
  let tiles = select(0, (range.y - range.x + i32(BQ)) / i32(BQ), range.y >= range.x);
  let perSplit = (tiles + i32(params.splits) - 1) / i32(params.splits);
  let tileStart = i32(group.z) * perSplit;
  let tileEnd = min(tiles, tileStart + perSplit);
  for (var tileIndex = tileStart; tileIndex < tileEnd; tileIndex++) {
    let start = u32(range.x + tileIndex * i32(BQ));
    workgroupBarrier();
    for (var e = thread; e < BQ * D4; e += ${ROWS}u) {
      let i = start + e / D4;
      queryTile[e] = select(vec4<f32>(0.0), loadQuery(params.qOffset + n * params.qN + i * params.qL, e % D4), i32(i) <= range.y);
    }
    for (var e = thread; e < BQ * DV4; e += ${ROWS}u) {
      let i = start + e / DV4;
      gradTile[e] = select(vec4<f32>(0.0), loadGrad(params.gOffset + n * params.gN + i * params.gL, e % DV4), i32(i) <= range.y);
    }
    for (var e = thread; e < BQ; e += ${ROWS}u) {
      let i = start + e;
      var stat = vec2<f32>(NONE, 0.0);
      if (i32(i) <= range.y) { let index = (n * params.queries + i) * 2u; stat = vec2<f32>(stats[index], stats[index + 1u]); }
      statTile[e] = stat;
    }
    workgroupBarrier();
    for (var i = 0u; i < BQ; i++) {
      let row = start + i;
      let stat = statTile[i];
      if (!valid || stat.x < 0.5 * NONE || !inBand(row, key) || !(${maskTest})) { continue; }
      var products = vec4<f32>(0.0);
      for (var c = 0u; c < D4; c++) { products = fma(queryTile[i * D4 + c], k[c], products); }
      let p = exp(${dot4('products')} * params.scale - stat.x);
      var gradProducts = vec4<f32>(0.0);
      for (var c = 0u; c < DV4; c++) {
        let g = gradTile[i * DV4 + c];
        gradProducts = fma(g, v[c], gradProducts);
        gv[c] = fma(vec4<f32>(p), g, gv[c]);
      }
      let ds = p * (${dot4('gradProducts')} - stat.y) * params.scale;
      for (var c = 0u; c < D4; c++) { gk[c] = fma(vec4<f32>(ds), queryTile[i * D4 + c], gk[c]); }
    }
  }
  if (!valid) { return; }
  let index = n * params.keys + key;
${
  split
    ? `  // This split's share of [dK | dV] for the key row, summed by the reduce dispatch.
  let width = params.depth + params.valueDepth;
  let base = (group.z * params.batches * params.keys + index) * width;
  for (var d = 0u; d < params.depth; d++) { partial[base + d] = gk[d / 4u][d % 4u]; }
  for (var d = 0u; d < params.valueDepth; d++) { partial[base + params.depth + d] = gv[d / 4u][d % 4u]; }`
    : `  for (var d = 0u; d < params.depth; d++) { gradKey[index * params.depth + d] = gk[d / 4u][d % 4u]; }
  for (var d = 0u; d < params.valueDepth; d++) { gradValue[index * params.valueDepth + d] = gv[d / 4u][d % 4u]; }`
}
}
`;
}

function queryGradientSource(depth: number, valueDepth: number, tile: number, split: boolean): string {
  return /* wgsl */ `${header(depth, valueDepth)}
@group(0) @binding(1) var<storage, read> query: array<f32>;
@group(0) @binding(2) var<storage, read> key: array<f32>;
@group(0) @binding(3) var<storage, read> value: array<f32>;
@group(0) @binding(4) var<storage, read> mask: array<f32>;
@group(0) @binding(5) var<storage, read> gradOutput: array<f32>;
@group(0) @binding(6) var<storage, read> stats: array<f32>;
${split ? '@group(0) @binding(7) var<storage, read_write> partial: array<f32>;' : '@group(0) @binding(7) var<storage, read_write> gradQuery: array<f32>;'}
const BC = ${tile}u;
var<workgroup> keyTile: array<vec4<f32>, ${tile}u * D4>;
var<workgroup> valueTile: array<vec4<f32>, ${tile}u * DV4>;
${loader('loadQuery', 'query', 'params.qD', 'params.depth')}
${loader('loadKey', 'key', 'params.kD', 'params.depth')}
${loader('loadValue', 'value', 'params.vD', 'params.valueDepth')}
${loader('loadGrad', 'gradOutput', 'params.gD', 'params.valueDepth')}

@compute @workgroup_size(${ROWS})
fn main(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_index) thread: u32) {
  let n = group.y;
  let first = group.x * ${ROWS}u;
  let row = first + thread;
  let valid = row < params.queries;
  let range = keyRange(first, min(params.queries, first + ${ROWS}u) - 1u);
  var q = array<vec4<f32>, D4>();
  var g = array<vec4<f32>, DV4>();
  var gq = array<vec4<f32>, D4>();
  var stat = vec2<f32>(NONE, 0.0);
  if (valid) {
    for (var c = 0u; c < D4; c++) { q[c] = loadQuery(params.qOffset + n * params.qN + row * params.qL, c); }
    for (var c = 0u; c < DV4; c++) { g[c] = loadGrad(params.gOffset + n * params.gN + row * params.gL, c); }
    let index = (n * params.queries + row) * 2u;
    stat = vec2<f32>(stats[index], stats[index + 1u]);
  }
  let live = valid && stat.x > 0.5 * NONE;
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
    for (var j = 0u; j < BC; j++) {
      let key = start + j;
      if (!live || i32(key) > range.y || !inBand(row, key) || !(${maskTest})) { continue; }
      var products = vec4<f32>(0.0);
      for (var c = 0u; c < D4; c++) { products = fma(q[c], keyTile[j * D4 + c], products); }
      let p = exp(${dot4('products')} * params.scale - stat.x);
      var gradProducts = vec4<f32>(0.0);
      for (var c = 0u; c < DV4; c++) { gradProducts = fma(g[c], valueTile[j * DV4 + c], gradProducts); }
      let ds = p * (${dot4('gradProducts')} - stat.y) * params.scale;
      for (var c = 0u; c < D4; c++) { gq[c] = fma(vec4<f32>(ds), keyTile[j * D4 + c], gq[c]); }
    }
  }
  if (!valid) { return; }
  let index = n * params.queries + row;
${
  split
    ? `  let base = (group.z * params.batches * params.queries + index) * params.depth;
  for (var d = 0u; d < params.depth; d++) { partial[base + d] = gq[d / 4u][d % 4u]; }`
    : '  for (var d = 0u; d < params.depth; d++) { gradQuery[index * params.depth + d] = gq[d / 4u][d % 4u]; }'
}
}
`;
}

/** Sums `splits` partial [rows, width] blocks into `first` (columns [0, firstWidth)) and, when `two`, `second` (the rest). */
function reduceSource(two: boolean): string {
  return /* wgsl */ `
struct Params { rows: u32, width: u32, firstWidth: u32, splits: u32 }
@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> partial: array<f32>;
@group(0) @binding(2) var<storage, read_write> first: array<f32>;
${two ? '@group(0) @binding(3) var<storage, read_write> second: array<f32>;' : ''}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  let index = id.x + id.y * 65535u * 64u;
  if (index >= params.rows * params.width) { return; }
  let row = index / params.width;
  let column = index % params.width;
  var total = 0.0;
  for (var s = 0u; s < params.splits; s++) { total += partial[(s * params.rows + row) * params.width + column]; }
  if (column < params.firstWidth) { first[row * params.firstWidth + column] = total; }
  ${two ? 'else { second[row * (params.width - params.firstWidth) + column - params.firstWidth] = total; }' : ''}
}
`;
}

/** Records and submits the backward; returns gradQuery, gradKey and gradValue (null when empty). */
export async function attentionBackwardSubmit(runtime: WgslRuntime, args: BackwardArgs & { splits?: number }, values: (BufferResult | null)[], sizes: number[]): Promise<(BufferResult | null)[]> {
  const [batches, queries, depth] = args.query.shape;
  const [keys, valueDepth] = [args.key.shape[1], args.value.shape[2]];
  const [query, key, value, mask, output, logSumExp, gradOutput] = values.map((entry) => bind(runtime, entry));
  const [gradQuery, gradKey, gradValue] = sizes.map((size) => (size > 0 ? runtime.wrap(runtime.storage(size), size) : null));
  if (queries === 0 || keys === 0 || batches === 0) return [gradQuery, gradKey, gradValue];
  const stats = runtime.storage(batches * queries * 2);
  const keyTile = tileRows(runtime, depth, valueDepth, 8);
  const queryTile = tileRows(runtime, depth, valueDepth, 0);
  // Few key (or query) rows leave most of a GPU idle: split the query (or key) tiles over
  // workgroups, each writing a partial sum, added up by a reduce dispatch.
  const keySplit = Math.min(keySplits(batches * keys, queries, keyTile, args.splits), Math.max(1, Math.ceil(queries / keyTile)));
  const querySplit = Math.min(keySplits(batches * queries, keys, queryTile, args.splits), Math.max(1, Math.ceil(keys / queryTile)));
  const inputs = [query, key, value, mask, gradOutput, stats];
  // Dv = 0 leaves gradValue empty: it still needs a writable buffer of its own.
  const spare = runtime.storage(1);
  const release = [stats, spare];
  const dispatches: Dispatch[] = [{ source: statsSource(), bindings: [output, gradOutput, logSumExp, stats], uniforms: uniforms(args, 1), groups: rowGroups(batches * queries) }];
  const keyGroups: [number, number, number] = [Math.ceil(keys / ROWS), batches, keySplit];
  if (keySplit === 1) {
    dispatches.push({ source: keyGradientSource(depth, valueDepth, keyTile, false), bindings: [...inputs, gradKey ?? spare, gradValue ?? spare], uniforms: uniforms(args, 1), groups: keyGroups });
  } else {
    const partial = runtime.storage(keySplit * batches * keys * (depth + valueDepth));
    release.push(partial);
    const reduce = new Uniforms().u32(batches * keys, depth + valueDepth, depth, keySplit).build();
    dispatches.push(
      { source: keyGradientSource(depth, valueDepth, keyTile, true), bindings: [...inputs, partial], uniforms: uniforms(args, keySplit), groups: keyGroups },
      { source: reduceSource(true), bindings: [partial, gradKey ?? spare, gradValue ?? spare], uniforms: reduce, groups: spread(batches * keys * (depth + valueDepth), 64) },
    );
  }
  const queryGroups: [number, number, number] = [Math.ceil(queries / ROWS), batches, querySplit];
  if (querySplit === 1) {
    dispatches.push({ source: queryGradientSource(depth, valueDepth, queryTile, false), bindings: [...inputs, gradQuery ?? spare], uniforms: uniforms(args, 1), groups: queryGroups });
  } else {
    const partial = runtime.storage(querySplit * batches * queries * depth);
    release.push(partial);
    const reduce = new Uniforms().u32(batches * queries, depth, depth, querySplit).build();
    dispatches.push(
      { source: queryGradientSource(depth, valueDepth, queryTile, true), bindings: [...inputs, partial], uniforms: uniforms(args, querySplit), groups: queryGroups },
      { source: reduceSource(false), bindings: [partial, gradQuery ?? spare], uniforms: reduce, groups: spread(batches * queries * depth, 64) },
    );
  }
  await runtime.submit(dispatches, [], release);
  return [gradQuery, gradKey, gradValue];
}
