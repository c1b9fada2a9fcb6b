import { describe, expect, it } from 'vitest';
import { encodeOnnxModel, lstmModel, matmulModel, pytorchToOnnxGates } from '../src/peers/onnx-model.js';
import { ProtoWriter } from '../src/peers/protobuf-writer.js';
import { maxRelativeDifference, timeMajorToBatchFirst } from '../src/peers/workloads.js';

describe('protobuf writer', () => {
  it('writes varints, negative int64s, floats and nested messages in wire format', () => {
    expect([...new ProtoWriter().int(1, 300).finish()]).toEqual([0x08, 0xac, 0x02]);
    expect([...new ProtoWriter().int(3, -1).finish()]).toEqual([0x18, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
    expect([...new ProtoWriter().float(2, 1).finish()]).toEqual([0x15, 0x00, 0x00, 0x80, 0x3f]);
    expect([...new ProtoWriter().message(7, new ProtoWriter().string(1, 'ab')).finish()]).toEqual([0x3a, 0x04, 0x0a, 0x02, 0x61, 0x62]);
  });
});

describe('ONNX models', () => {
  it('onnxruntime-node runs the matmul model and gets A·B', async () => {
    const ort = await import('onnxruntime-node');
    const session = await ort.InferenceSession.create(matmulModel(2));
    const a = new ort.Tensor('float32', Float32Array.of(1, 2, 3, 4), [2, 2]);
    const b = new ort.Tensor('float32', Float32Array.of(5, 6, 7, 8), [2, 2]);
    const { c } = await session.run({ a, b });
    expect([...(c.data as Float32Array)]).toEqual([19, 22, 43, 50]);
    await session.release();
  });

  it('the LSTM model matches a hand-computed step with PyTorch gate order converted', async () => {
    const ort = await import('onnxruntime-node');
    // One input, one hidden unit, one step: gates i, f, g, o from weight_ih = [wi, wf, wg, wo].
    const weightIh = Float32Array.of(0.5, -0.25, 1, 2);
    const weightHh = Float32Array.of(0, 0, 0, 0);
    const session = await ort.InferenceSession.create(
      lstmModel(1, 1, 1, 1, { w: pytorchToOnnxGates(weightIh, 1, 1), r: pytorchToOnnxGates(weightHh, 1, 1), b: new Float32Array(8) }),
    );
    const x = 0.8;
    const { y } = await session.run({ x: new ort.Tensor('float32', Float32Array.of(x), [1, 1, 1]) });
    const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));
    const c = sigmoid(0.5 * x) * Math.tanh(1 * x);
    expect((y.data as Float32Array)[0]).toBeCloseTo(sigmoid(2 * x) * Math.tanh(c), 6);
    await session.release();
  });

  it('encodes attributes and opset imports that onnxruntime accepts', async () => {
    const ort = await import('onnxruntime-node');
    const bytes = encodeOnnxModel({
      name: 'softmax',
      nodes: [{ opType: 'Softmax', inputs: ['x'], outputs: ['y'], attributes: { axis: -1 } }],
      inputs: [{ name: 'x', shape: [1, 3] }],
      outputs: [{ name: 'y', shape: [1, 3] }],
    });
    const session = await ort.InferenceSession.create(bytes);
    const { y } = await session.run({ x: new ort.Tensor('float32', Float32Array.of(0, 0, Math.log(2)), [1, 3]) });
    expect([...(y.data as Float32Array)].map((v) => Number(v.toFixed(6)))).toEqual([0.25, 0.25, 0.5]);
    await session.release();
  });
});

describe('layout helpers', () => {
  it('reorders PyTorch gates (i, f, g, o) into ONNX order (i, o, f, c)', () => {
    expect([...pytorchToOnnxGates(Float32Array.of(1, 1, 2, 2, 3, 3, 4, 4), 1, 2)]).toEqual([1, 1, 4, 4, 2, 2, 3, 3]);
  });

  it('transposes time-major output to batch-first and compares arrays', () => {
    // [T=2, B=2, H=1]: t0b0, t0b1, t1b0, t1b1 → b0t0, b0t1, b1t0, b1t1
    expect([...timeMajorToBatchFirst(Float32Array.of(1, 2, 3, 4), 2, 2, 1)]).toEqual([1, 3, 2, 4]);
    expect(maxRelativeDifference(Float32Array.of(2, -4), Float32Array.of(2, -3))).toBeCloseTo(0.25);
    expect(maxRelativeDifference(Float32Array.of(1), Float32Array.of(1, 2))).toBe(Infinity);
  });
});
