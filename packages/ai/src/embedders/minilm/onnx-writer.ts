/**
 * A minimal, deterministic protobuf writer for ONNX models: exactly the fields
 * of ModelProto, GraphProto, NodeProto, AttributeProto, TensorProto and
 * ValueInfoProto (onnx/onnx.proto3) that a static inference graph needs.
 *
 * Messages are kept as lists of byte chunks, so the large initializers are
 * never copied while nesting; `encodeModel` returns those chunks in order.
 * Same input → same bytes (no maps, no timestamps).
 */

export type ElemType = 'float' | 'float16' | 'int64' | 'int8';
const ELEM_TYPE: Record<ElemType, number> = { float: 1, float16: 10, int64: 7, int8: 3 };

export interface TensorSpec {
  name: string;
  type: ElemType;
  dims: number[];
  /** float → Float32Array, float16 → Uint16Array (bit patterns), int64 → BigInt64Array, int8 → Int8Array. */
  data: Float32Array | Uint16Array | BigInt64Array | Int8Array;
}

export type AttributeValue =
  | { i: number }
  | { f: number }
  | { s: string }
  | { ints: number[] }
  | { floats: number[] }
  | { t: TensorSpec };

export interface NodeSpec {
  op: string;
  inputs: string[];
  outputs: string[];
  name?: string;
  attributes?: Record<string, AttributeValue>;
}

export interface ValueInfoSpec {
  name: string;
  type: ElemType;
  /** A number is a fixed size, a string a symbolic one (e.g. "batch"). */
  dims: Array<number | string>;
}

export interface GraphSpec {
  name: string;
  nodes: NodeSpec[];
  initializers: TensorSpec[];
  inputs: ValueInfoSpec[];
  outputs: ValueInfoSpec[];
}

export interface ModelSpec {
  graph: GraphSpec;
  /** Default-domain opset, e.g. 17. */
  opset: number;
  irVersion?: number;
  producerName?: string;
  producerVersion?: string;
  docString?: string;
}

const utf8 = new TextEncoder();

/** Varint bytes of a non-negative or negative int64 (negative: ten bytes, two's complement). */
function varint(value: number | bigint): Uint8Array {
  let v = BigInt.asUintN(64, BigInt(value));
  const out: number[] = [];
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return Uint8Array.from(out);
}

class Message {
  readonly parts: Uint8Array[] = [];
  length = 0;

  private push(bytes: Uint8Array): this {
    this.parts.push(bytes);
    this.length += bytes.byteLength;
    return this;
  }

  private tag(field: number, wire: 0 | 2 | 5): this {
    return this.push(varint((field << 3) | wire));
  }

  int(field: number, value: number | bigint): this {
    return this.tag(field, 0).push(varint(value));
  }

  float(field: number, value: number): this {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, value, true);
    return this.tag(field, 5).push(b);
  }

  bytes(field: number, value: Uint8Array): this {
    return this.tag(field, 2).push(varint(value.byteLength)).push(value);
  }

  string(field: number, value: string): this {
    return this.bytes(field, utf8.encode(value));
  }

  message(field: number, child: Message): this {
    this.tag(field, 2).push(varint(child.length));
    for (const part of child.parts) this.push(part);
    return this;
  }

  packedInts(field: number, values: number[]): this {
    const body = new Message();
    for (const v of values) body.push(varint(v));
    return this.message(field, body);
  }

  packedFloats(field: number, values: number[]): this {
    const b = new Uint8Array(values.length * 4);
    const view = new DataView(b.buffer);
    values.forEach((v, i) => view.setFloat32(i * 4, v, true));
    return this.bytes(field, b);
  }
}

function littleEndianBytes(data: TensorSpec['data']): Uint8Array {
  // ONNX raw_data is little-endian; so are typed arrays on every platform Node supports (x64, arm64).
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

function tensor(spec: TensorSpec): Message {
  const m = new Message();
  for (const d of spec.dims) m.int(1, d); // dims (unpacked repeated int64 is valid proto3 input)
  m.int(2, ELEM_TYPE[spec.type]); // data_type
  m.string(8, spec.name); // name
  m.bytes(9, littleEndianBytes(spec.data)); // raw_data
  return m;
}

function attribute(name: string, value: AttributeValue): Message {
  const m = new Message().string(1, name);
  // AttributeProto.AttributeType: FLOAT=1, INT=2, STRING=3, TENSOR=4, FLOATS=6, INTS=7
  if ('f' in value) m.float(2, value.f).int(20, 1);
  else if ('i' in value) m.int(3, value.i).int(20, 2);
  else if ('s' in value) m.string(4, value.s).int(20, 3);
  else if ('t' in value) m.message(5, tensor(value.t)).int(20, 4);
  else if ('floats' in value) m.packedFloats(7, value.floats).int(20, 6);
  else m.packedInts(8, value.ints).int(20, 7);
  return m;
}

function node(spec: NodeSpec): Message {
  const m = new Message();
  for (const i of spec.inputs) m.string(1, i);
  for (const o of spec.outputs) m.string(2, o);
  if (spec.name) m.string(3, spec.name);
  m.string(4, spec.op);
  for (const name of Object.keys(spec.attributes ?? {}).sort()) m.message(5, attribute(name, spec.attributes![name]!));
  return m;
}

function valueInfo(spec: ValueInfoSpec): Message {
  const shape = new Message();
  for (const d of spec.dims) shape.message(1, typeof d === 'number' ? new Message().int(1, d) : new Message().string(2, d));
  const tensorType = new Message().int(1, ELEM_TYPE[spec.type]).message(2, shape);
  const type = new Message().message(1, tensorType);
  return new Message().string(1, spec.name).message(2, type);
}

function graph(spec: GraphSpec): Message {
  const m = new Message();
  for (const n of spec.nodes) m.message(1, node(n));
  m.string(2, spec.name);
  for (const t of spec.initializers) m.message(5, tensor(t));
  for (const i of spec.inputs) m.message(11, valueInfo(i));
  for (const o of spec.outputs) m.message(12, valueInfo(o));
  return m;
}

/** The serialised ModelProto as byte chunks (write them in order, or `concatChunks`). */
export function encodeModel(spec: ModelSpec): { chunks: Uint8Array[]; length: number } {
  const m = new Message();
  m.int(1, spec.irVersion ?? 8); // ir_version 8 goes with opset 17
  if (spec.producerName) m.string(2, spec.producerName);
  if (spec.producerVersion) m.string(3, spec.producerVersion);
  if (spec.docString) m.string(6, spec.docString);
  m.message(7, graph(spec.graph));
  m.message(8, new Message().string(1, '').int(2, spec.opset)); // opset_import: default domain
  return { chunks: m.parts, length: m.length };
}

export function concatChunks(encoded: { chunks: Uint8Array[]; length: number }): Uint8Array {
  const out = new Uint8Array(encoded.length);
  let offset = 0;
  for (const c of encoded.chunks) {
    out.set(c, offset);
    offset += c.byteLength;
  }
  return out;
}
