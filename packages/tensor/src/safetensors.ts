import type { Backend, DType, DataArray } from './backend.js';
import { getBackend } from './backend-registry.js';
import { FormatError } from './errors.js';
import { sizeOf } from './shape.js';
import { Tensor } from './tensor.js';

const ELEMENT_BYTES: Record<string, number> = {
  F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U64: 8, U32: 4, U16: 2, U8: 1, BOOL: 1,
};

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

function halfToFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 31) return fraction ? NaN : sign * Infinity;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

function decode(dtype: string, bytes: Uint8Array, count: number, name: string): { data: DataArray; dtype: DType } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const floats = (read: (index: number) => number): { data: DataArray; dtype: DType } => {
    const data = new Float32Array(count);
    for (let index = 0; index < count; index++) data[index] = read(index);
    return { data, dtype: 'float32' };
  };
  const ints = (read: (index: number) => number): { data: DataArray; dtype: DType } => {
    const data = new Int32Array(count);
    for (let index = 0; index < count; index++) data[index] = read(index);
    return { data, dtype: 'int32' };
  };
  // Wider integers load as int32 only when every value fits: Int32Array would wrap the rest silently.
  const checkedInts = (read: (index: number) => bigint | number): { data: DataArray; dtype: DType } => {
    const data = new Int32Array(count);
    for (let index = 0; index < count; index++) {
      const value = read(index);
      if (value > INT32_MAX || value < INT32_MIN) {
        throw new FormatError(
          'loadSafetensors',
          `tensor ${name}: ${dtype} value ${String(value)} at element ${index} is outside the int32 range ` +
            `[${INT32_MIN}, ${INT32_MAX}]; heed has no int64 dtype and loads integer tensors as int32`,
        );
      }
      data[index] = Number(value);
    }
    return { data, dtype: 'int32' };
  };
  switch (dtype) {
    case 'F32': return floats((i) => view.getFloat32(i * 4, true));
    case 'F64': return floats((i) => view.getFloat64(i * 8, true));
    case 'F16': return floats((i) => halfToFloat(view.getUint16(i * 2, true)));
    case 'BF16': return floats((i) => new Float32Array(new Uint32Array([view.getUint16(i * 2, true) << 16]).buffer)[0]);
    case 'I32': return ints((i) => view.getInt32(i * 4, true));
    case 'I64': return checkedInts((i) => view.getBigInt64(i * 8, true));
    case 'I16': return ints((i) => view.getInt16(i * 2, true));
    case 'I8': return ints((i) => view.getInt8(i));
    case 'U64': return checkedInts((i) => view.getBigUint64(i * 8, true));
    case 'U32': return checkedInts((i) => view.getUint32(i * 4, true));
    case 'U16': return ints((i) => view.getUint16(i * 2, true));
    case 'U8': return ints((i) => view.getUint8(i));
    case 'BOOL': return { data: Uint8Array.from(bytes.subarray(0, count), (b) => (b ? 1 : 0)), dtype: 'bool' };
    default: throw new FormatError('loadSafetensors', `tensor ${name}: unsupported dtype ${dtype}`);
  }
}

/**
 * Reads a `.safetensors` file (the format PyTorch users save weights in) into tensors by name.
 * F32, F64, F16 and BF16 become float32; I64/I32/I16/I8 and U64/U32/U16/U8 become int32; BOOL
 * stays bool. heed has no int64 dtype: an I64, U64 or U32 value outside the int32 range
 * [-2^31, 2^31 - 1] raises a `FormatError` naming the tensor and the value, never a wrapped
 * number. A malformed file raises a `FormatError` that says what is wrong.
 *
 * @example
 * ```ts
 * const state = loadSafetensors(new Uint8Array(await readFile('lstm.safetensors')));
 * model.loadStateDict(state);
 * ```
 */
export function loadSafetensors(bytes: Uint8Array, options: { backend?: Backend } = {}): Record<string, Tensor> {
  const fail = (message: string): never => {
    throw new FormatError('loadSafetensors', message);
  };
  if (bytes.byteLength < 8) fail(`the file has ${bytes.byteLength} bytes, fewer than the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  if (headerLength > bytes.byteLength - 8) fail(`the header length (${headerLength}) runs past the end of the file (${bytes.byteLength} bytes)`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength))) as Record<string, unknown>;
  } catch (error) {
    return fail(`the header is not valid JSON (${(error as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) fail('the header is not a JSON object');
  const body = bytes.subarray(8 + headerLength);
  const backend = options.backend ?? getBackend();
  const out: Record<string, Tensor> = {};
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const info = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof info.dtype !== 'string' || !(info.dtype in ELEMENT_BYTES)) fail(`tensor ${name}: unknown dtype ${String(info.dtype)}`);
    if (!Array.isArray(info.shape) || !info.shape.every((s) => Number.isInteger(s) && (s as number) >= 0)) fail(`tensor ${name}: bad shape ${JSON.stringify(info.shape)}`);
    if (!Array.isArray(info.data_offsets) || info.data_offsets.length !== 2) fail(`tensor ${name}: bad data_offsets ${JSON.stringify(info.data_offsets)}`);
    const shape = info.shape as number[];
    const [start, end] = info.data_offsets as [number, number];
    const count = sizeOf(shape);
    const expectedBytes = count * ELEMENT_BYTES[info.dtype as string];
    if (!(Number.isInteger(start) && Number.isInteger(end) && start >= 0 && end >= start && end <= body.byteLength)) {
      fail(`tensor ${name}: data_offsets [${start}, ${end}] fall outside the ${body.byteLength}-byte data section`);
    }
    if (end - start !== expectedBytes) fail(`tensor ${name}: ${end - start} bytes stored for shape [${shape.join(', ')}] of ${info.dtype as string} (${expectedBytes} expected)`);
    const decoded = decode(info.dtype as string, body.subarray(start, end), count, name);
    out[name] = Tensor.fromData(decoded.data, shape, decoded.dtype, backend);
  }
  return out;
}

/**
 * Writes tensors to the `.safetensors` format (float32 as F32, int32 as I32, bool as BOOL),
 * readable by PyTorch's `safetensors.torch.load_file`.
 *
 * @example
 * ```ts
 * await writeFile('model.safetensors', saveSafetensors(model.stateDict()));
 * ```
 */
export function saveSafetensors(tensors: Record<string, Tensor>, metadata?: Record<string, string>): Uint8Array {
  const names = Object.keys(tensors).sort();
  const header: Record<string, unknown> = {};
  if (metadata) header.__metadata__ = metadata;
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const name of names) {
    const tensor = tensors[name];
    const data = tensor.dataSync();
    const bytes = new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
    const dtype = tensor.dtype === 'float32' ? 'F32' : tensor.dtype === 'int32' ? 'I32' : 'BOOL';
    header[name] = { dtype, shape: [...tensor.shape], data_offsets: [offset, offset + bytes.byteLength] };
    chunks.push(bytes);
    offset += bytes.byteLength;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  // The data section starts 8-byte aligned: pad the header with spaces, as the reference writer does.
  const headerBytes = new Uint8Array(Math.ceil(json.byteLength / 8) * 8).fill(0x20);
  headerBytes.set(json);
  const out = new Uint8Array(8 + headerBytes.byteLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.byteLength), true);
  out.set(headerBytes, 8);
  let position = 8 + headerBytes.byteLength;
  for (const chunk of chunks) {
    out.set(chunk, position);
    position += chunk.byteLength;
  }
  return out;
}
