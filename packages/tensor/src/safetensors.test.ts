import { describe, expect, it } from 'vitest';
import { FormatError, loadSafetensors, saveSafetensors, tensor } from './index.js';

/** Builds a safetensors file by hand from the format's definition (8-byte length, JSON, data). */
function file(header: object, data: Uint8Array): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

describe('safetensors', () => {
  it('round-trips float32, int32 and bool tensors with metadata', () => {
    const state = { weight: tensor([[1.5, -2], [3, 4]]), steps: tensor([7, 8], { dtype: 'int32' }), mask: tensor([true, false]) };
    const bytes = saveSafetensors(state, { format: 'pt' });
    const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect((8 + headerLength) % 8).toBe(0);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength))) as Record<string, unknown>;
    expect(header.__metadata__).toEqual({ format: 'pt' });
    const loaded = loadSafetensors(bytes);
    expect(loaded.weight.toArray()).toEqual([[1.5, -2], [3, 4]]);
    expect(loaded.steps.dtype).toBe('int32');
    expect(loaded.mask.toArray()).toEqual([true, false]);
  });

  it('decodes F64, F16, BF16 and I64 as PyTorch writes them', () => {
    const data = new Uint8Array(8 + 2 + 2 + 8);
    const view = new DataView(data.buffer);
    view.setFloat64(0, 0.1, true);
    view.setUint16(8, 0x3c00, true); // 1.0 in half precision
    view.setUint16(10, 0xc040, true); // -3.0 in bfloat16
    view.setBigInt64(12, -5n, true);
    const loaded = loadSafetensors(file({
      a: { dtype: 'F64', shape: [1], data_offsets: [0, 8] },
      b: { dtype: 'F16', shape: [], data_offsets: [8, 10] },
      c: { dtype: 'BF16', shape: [1], data_offsets: [10, 12] },
      d: { dtype: 'I64', shape: [1], data_offsets: [12, 20] },
    }, data));
    expect(loaded.a.item()).toBeCloseTo(0.1, 7);
    expect(loaded.b.item()).toBe(1);
    expect(loaded.c.item()).toBe(-3);
    expect(loaded.d.item()).toBe(-5);
  });

  it('refuses 64-bit and unsigned integers outside the int32 range instead of wrapping them', () => {
    const single = (dtype: string, write: (view: DataView) => void, bytes: number): Uint8Array => {
      const data = new Uint8Array(bytes * 2);
      const view = new DataView(data.buffer);
      write(view);
      return file({ ids: { dtype, shape: [2], data_offsets: [0, bytes * 2] } }, data);
    };
    const i64 = (first: bigint, second: bigint) =>
      single('I64', (view) => { view.setBigInt64(0, first, true); view.setBigInt64(8, second, true); }, 8);
    // Both ends of int32 load exactly.
    expect(loadSafetensors(i64(2147483647n, -2147483648n)).ids.toArray()).toEqual([2147483647, -2147483648]);
    expect(() => loadSafetensors(i64(1n, 2147483648n))).toThrow(FormatError);
    expect(() => loadSafetensors(i64(1n, 2147483648n))).toThrow(/tensor ids: I64 value 2147483648 at element 1 .*no int64 dtype/);
    expect(() => loadSafetensors(i64(-2147483649n, 0n))).toThrow(/tensor ids: I64 value -2147483649 at element 0/);
    expect(() => loadSafetensors(i64(2n ** 62n, 0n))).toThrow(/value 4611686018427387904 /);

    const u32 = (first: number, second: number) =>
      single('U32', (view) => { view.setUint32(0, first, true); view.setUint32(4, second, true); }, 4);
    expect(loadSafetensors(u32(0, 2147483647)).ids.toArray()).toEqual([0, 2147483647]);
    expect(() => loadSafetensors(u32(2147483648, 0))).toThrow(/tensor ids: U32 value 2147483648 at element 0 .*int32 range/);
    expect(() => loadSafetensors(u32(0, 4294967295))).toThrow(/U32 value 4294967295/);

    const u64 = (first: bigint) => single('U64', (view) => view.setBigUint64(0, first, true), 8);
    expect(loadSafetensors(u64(7n)).ids.toArray()).toEqual([7, 0]);
    expect(() => loadSafetensors(u64(2n ** 64n - 1n))).toThrow(/U64 value 18446744073709551615/);

    const u16 = single('U16', (view) => { view.setUint16(0, 65535, true); view.setUint16(2, 1, true); }, 2);
    expect(loadSafetensors(u16).ids.toArray()).toEqual([65535, 1]);
  });

  it('explains what is wrong with a malformed file', () => {
    expect(() => loadSafetensors(new Uint8Array(3))).toThrow(FormatError);
    const tooLong = new Uint8Array(16);
    new DataView(tooLong.buffer).setBigUint64(0, 100n, true);
    expect(() => loadSafetensors(tooLong)).toThrow(/runs past the end/);
    expect(() => loadSafetensors(file({ x: { dtype: 'F32', shape: [2], data_offsets: [0, 4] } }, new Uint8Array(4)))).toThrow(/4 bytes stored for shape \[2\]/);
    expect(() => loadSafetensors(file({ x: { dtype: 'Q8', shape: [1], data_offsets: [0, 1] } }, new Uint8Array(1)))).toThrow(/unknown dtype/);
    const broken = file({}, new Uint8Array(0));
    broken[8] = 0x7b;
    broken[9] = 0x7b;
    expect(() => loadSafetensors(broken)).toThrow(/not valid JSON/);
  });
});
