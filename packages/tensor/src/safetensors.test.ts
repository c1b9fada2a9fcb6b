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
