import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { concatChunks, encodeModel, type ModelSpec } from './onnx-writer.js';
import { parseSafetensors, toFloat32 } from './safetensors.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'quarry-onnx-writer-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('onnx writer', () => {
  // y = LayerNorm(x · W + b) summed over the last axis, with int64 constants, attributes and a symbolic batch.
  const spec: ModelSpec = {
    opset: 17,
    graph: {
      name: 'tiny',
      nodes: [
        { op: 'MatMul', inputs: ['x', 'w'], outputs: ['xw'] },
        { op: 'Add', inputs: ['xw', 'b'], outputs: ['h'] },
        { op: 'LayerNormalization', inputs: ['h', 'g', 'beta'], outputs: ['n'], attributes: { axis: { i: -1 }, epsilon: { f: 1e-5 } } },
        { op: 'ReduceSum', inputs: ['n', 'axes'], outputs: ['y'], attributes: { keepdims: { i: 0 } } },
      ],
      initializers: [
        { name: 'w', type: 'float', dims: [2, 3], data: Float32Array.of(1, 2, 3, 4, 5, 6) },
        { name: 'b', type: 'float', dims: [3], data: Float32Array.of(0.5, -0.5, 0) },
        { name: 'g', type: 'float', dims: [3], data: Float32Array.of(1, 2, 3) },
        { name: 'beta', type: 'float', dims: [3], data: Float32Array.of(0, 0, 1) },
        { name: 'axes', type: 'int64', dims: [1], data: BigInt64Array.of(-1n) },
      ],
      inputs: [{ name: 'x', type: 'float', dims: ['batch', 2] }],
      outputs: [{ name: 'y', type: 'float', dims: ['batch'] }],
    },
  };

  it('writes the same bytes for the same model', () => {
    expect(Buffer.from(concatChunks(encodeModel(spec))).equals(Buffer.from(concatChunks(encodeModel(spec))))).toBe(true);
  });

  it('produces a model ONNX Runtime loads and computes correctly', async () => {
    const file = path.join(dir, 'tiny.onnx');
    writeFileSync(file, concatChunks(encodeModel(spec)));
    const session = await ort.InferenceSession.create(file, { intraOpNumThreads: 1 });
    const x = Float32Array.of(1, 0, 0, 1);
    const { y } = await session.run({ x: new ort.Tensor('float32', x, [2, 2]) });
    // Reference in plain JS.
    const expected = [0, 1].map((row) => {
      const h = [0, 1, 2].map((j) => x[row * 2]! * [1, 2, 3][j]! + x[row * 2 + 1]! * [4, 5, 6][j]! + [0.5, -0.5, 0][j]!);
      const mean = h.reduce((a, v) => a + v, 0) / 3;
      const variance = h.reduce((a, v) => a + (v - mean) ** 2, 0) / 3;
      return h.reduce((a, v, j) => a + ((v - mean) / Math.sqrt(variance + 1e-5)) * [1, 2, 3][j]! + [0, 0, 1][j]!, 0);
    });
    expect(y!.dims).toEqual([2]);
    Array.from(y!.data as Float32Array).forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 4));
    await session.release();
  });
});

describe('safetensors reader', () => {
  it('parses the header and up-casts fp16 exactly', () => {
    const header = JSON.stringify({ t: { dtype: 'F16', shape: [4], data_offsets: [0, 8] } });
    const buffer = new Uint8Array(8 + header.length + 8);
    new DataView(buffer.buffer).setBigUint64(0, BigInt(header.length), true);
    buffer.set(new TextEncoder().encode(header), 8);
    // 1.0, -2.0, 65504 (largest half), 2^-24 (smallest subnormal)
    new Uint16Array(buffer.buffer, 8 + header.length, 4).set([0x3c00, 0xc000, 0x7bff, 0x0001]);
    const t = parseSafetensors(buffer).get('t')!;
    expect(Array.from(toFloat32(t))).toEqual([1, -2, 65504, 2 ** -24]);
  });
});
