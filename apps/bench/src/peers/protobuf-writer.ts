/**
 * A minimal protocol-buffers writer: just the wire format (varints, 32-bit floats, length-
 * delimited fields) needed to write ONNX models without a protobuf dependency.
 */

/** Accumulates one message's bytes. */
export class ProtoWriter {
  readonly #chunks: Uint8Array[] = [];
  #length = 0;

  #push(bytes: Uint8Array): this {
    this.#chunks.push(bytes);
    this.#length += bytes.length;
    return this;
  }

  /** A base-128 varint; negative numbers use the 10-byte two's-complement form (int64). */
  #varint(value: number | bigint): Uint8Array {
    let remaining = BigInt.asUintN(64, BigInt(value));
    const bytes: number[] = [];
    do {
      let byte = Number(remaining & 0x7fn);
      remaining >>= 7n;
      if (remaining !== 0n) byte |= 0x80;
      bytes.push(byte);
    } while (remaining !== 0n);
    return Uint8Array.from(bytes);
  }

  #key(field: number, wireType: 0 | 1 | 2 | 5): void {
    this.#push(this.#varint((field << 3) | wireType));
  }

  /** An integer field (int32, int64, enum, bool). */
  int(field: number, value: number | bigint): this {
    this.#key(field, 0);
    return this.#push(this.#varint(value));
  }

  /** A 32-bit float field. */
  float(field: number, value: number): this {
    this.#key(field, 5);
    const bytes = new Uint8Array(4);
    new DataView(bytes.buffer).setFloat32(0, value, true);
    return this.#push(bytes);
  }

  /** A bytes field. */
  bytes(field: number, value: Uint8Array): this {
    this.#key(field, 2);
    this.#push(this.#varint(value.length));
    return this.#push(value);
  }

  /** A UTF-8 string field. */
  string(field: number, value: string): this {
    return this.bytes(field, new TextEncoder().encode(value));
  }

  /** An embedded message field. */
  message(field: number, value: ProtoWriter): this {
    return this.bytes(field, value.finish());
  }

  /** The message's bytes. */
  finish(): Uint8Array {
    const out = new Uint8Array(this.#length);
    let offset = 0;
    for (const chunk of this.#chunks) {
      out.set(chunk, offset);
      offset += chunk.length;
    }
    return out;
  }
}
