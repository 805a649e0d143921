/**
 * A reader for the safetensors format (an 8-byte little-endian header length,
 * a JSON header naming each tensor's dtype, shape and byte range, then the raw
 * little-endian data). Only what the MiniLM builder needs: F16, F32 and I64.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

export interface SafeTensor {
  dtype: 'F16' | 'F32' | 'I64';
  shape: number[];
  /** The tensor's bytes (a view into the file's buffer). */
  bytes: Uint8Array;
}

export class WeightsIntegrityError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WeightsIntegrityError';
  }
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Reads a safetensors file, refusing it unless its SHA-256 is `expectedSha256`. */
export function readSafetensors(file: string, expectedSha256: string): Map<string, SafeTensor> {
  const buffer = readFileSync(file);
  const actual = sha256Hex(buffer);
  if (actual !== expectedSha256) {
    throw new WeightsIntegrityError(`${file} has SHA-256 ${actual}; expected ${expectedSha256} (reinstall the package: npm ci)`);
  }
  return parseSafetensors(buffer);
}

export function parseSafetensors(buffer: Uint8Array): Map<string, SafeTensor> {
  const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  if (headerLength <= 0 || 8 + headerLength > buffer.byteLength) throw new WeightsIntegrityError('safetensors header length is out of range');
  const header = JSON.parse(new TextDecoder().decode(buffer.subarray(8, 8 + headerLength))) as Record<
    string,
    { dtype: string; shape: number[]; data_offsets: [number, number] }
  >;
  const base = 8 + headerLength;
  const tensors = new Map<string, SafeTensor>();
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const { dtype, shape, data_offsets: [start, end] } = entry;
    if (dtype !== 'F16' && dtype !== 'F32' && dtype !== 'I64') throw new WeightsIntegrityError(`tensor ${name} has unsupported dtype ${dtype}`);
    const width = dtype === 'F16' ? 2 : dtype === 'F32' ? 4 : 8;
    const count = shape.reduce((a, b) => a * b, 1);
    if (end - start !== count * width || base + end > buffer.byteLength) throw new WeightsIntegrityError(`tensor ${name} has an inconsistent byte range`);
    tensors.set(name, { dtype, shape, bytes: buffer.subarray(base + start, base + end) });
  }
  return tensors;
}

/** IEEE 754 half → single precision (exact: every half is representable). */
function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

let halfTable: Float32Array | undefined;

/** The tensor's values as float32 (F16 up-cast through a 64K lookup table). */
export function toFloat32(tensor: SafeTensor): Float32Array {
  const { bytes } = tensor;
  if (tensor.dtype === 'F32') {
    const out = new Float32Array(bytes.byteLength / 4);
    new Uint8Array(out.buffer).set(bytes);
    return out;
  }
  if (tensor.dtype !== 'F16') throw new Error(`cannot convert ${tensor.dtype} to float32`);
  if (!halfTable) {
    halfTable = new Float32Array(65536);
    for (let i = 0; i < 65536; i++) halfTable[i] = halfToFloat(i);
  }
  const table = halfTable;
  const n = bytes.byteLength / 2;
  const out = new Float32Array(n);
  for (let i = 0, j = 0; i < n; i++, j += 2) out[i] = table[bytes[j]! | (bytes[j + 1]! << 8)]!;
  return out;
}
