/**
 * The built ONNX file of all-MiniLM-L6-v2, cached on disk:
 * `<cacheDir>/all-MiniLM-L6-v2.<key>.onnx` plus `<same>.sha256` holding the
 * file's own SHA-256. The key covers the weights' checksum and the graph
 * builder's version, so a new builder or new weights get a new file.
 *
 * A missing, truncated or altered file (checked against its .sha256) is
 * rebuilt from the safetensors, whose SHA-256 is verified first. Writes are
 * atomic (unique temp file + rename), so concurrent processes sharing a cache
 * directory never read a half-written model; they may both build, harmlessly
 * (the build is deterministic).
 */
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, renameSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { buildBertEncoderGraph, GRAPH_BUILDER_VERSION, type WeightPrecision } from './build-graph.js';
import { locateMiniLmFiles, MINILM_MODEL, MINILM_WEIGHTS_SHA256 } from './model-files.js';
import { encodeModel } from './onnx-writer.js';
import { readSafetensors, sha256Hex } from './safetensors.js';

export interface OnnxCacheResult {
  path: string;
  /** True when this call built the file (false: a verified cached file was used). */
  built: boolean;
  /** Time spent verifying or building, ms. */
  ms: number;
}

export function minilmOnnxPath(cacheDir: string, precision: WeightPrecision = 'fp32'): string {
  const key = sha256Hex(new TextEncoder().encode(`${MINILM_WEIGHTS_SHA256}:graph-v${GRAPH_BUILDER_VERSION}:opset17:${precision}`)).slice(0, 16);
  return path.join(cacheDir, `${MINILM_MODEL}.${key}.onnx`);
}

function verified(file: string): boolean {
  try {
    if (!existsSync(file) || !existsSync(`${file}.sha256`)) return false;
    const expected = readFileSync(`${file}.sha256`, 'utf8').trim();
    return /^[0-9a-f]{64}$/.test(expected) && fileSha256(file) === expected;
  } catch {
    return false;
  }
}

/**
 * SHA-256 of a file read 1 MB at a time. Reading the whole graph into one buffer to hash it kept
 * its 23–90 MB in the embedding thread's RSS long after (ONNX Runtime reads the file itself).
 */
function fileSha256(file: string): string {
  const hash = createHash('sha256');
  const chunk = Buffer.allocUnsafe(1024 * 1024);
  const fd = openSync(file, 'r');
  try {
    for (;;) {
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      hash.update(chunk.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}

interface BertConfigJson {
  hidden_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  intermediate_size: number;
  layer_norm_eps: number;
  hidden_act: string;
  position_embedding_type?: string;
}

/** Builds the ONNX model bytes from the installed package (verifying the weights' SHA-256). */
export function buildMiniLmOnnx(precision: WeightPrecision = 'fp32'): { chunks: Uint8Array[]; length: number } {
  const files = locateMiniLmFiles();
  const config = JSON.parse(readFileSync(files.config, 'utf8')) as BertConfigJson;
  if (config.hidden_act !== 'gelu' || (config.position_embedding_type ?? 'absolute') !== 'absolute') {
    throw new Error(`unexpected model config (hidden_act ${config.hidden_act}, position embeddings ${config.position_embedding_type})`);
  }
  const weights = readSafetensors(files.weights, MINILM_WEIGHTS_SHA256);
  return encodeModel(
    buildBertEncoderGraph(weights, {
      hiddenSize: config.hidden_size,
      numLayers: config.num_hidden_layers,
      numHeads: config.num_attention_heads,
      intermediateSize: config.intermediate_size,
      layerNormEps: config.layer_norm_eps,
    }, precision),
  );
}

/** The path of a verified ONNX file in `cacheDir`, building it first if needed. */
export function ensureMiniLmOnnx(cacheDir: string, precision: WeightPrecision = 'fp32'): OnnxCacheResult {
  const started = performance.now();
  const file = minilmOnnxPath(cacheDir, precision);
  if (verified(file)) return { path: file, built: false, ms: performance.now() - started };

  mkdirSync(cacheDir, { recursive: true });
  const encoded = buildMiniLmOnnx(precision);
  const hash = createHash('sha256');
  const suffix = `${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const tmp = `${file}.${suffix}`;
  const tmpSum = `${file}.sha256.${suffix}`;
  try {
    const fd = openSync(tmp, 'w', 0o644);
    try {
      for (const chunk of encoded.chunks) {
        hash.update(chunk);
        let written = 0;
        while (written < chunk.byteLength) written += writeSync(fd, chunk, written);
      }
    } finally {
      closeSync(fd);
    }
    const fdSum = openSync(tmpSum, 'w', 0o644);
    try {
      writeSync(fdSum, `${hash.digest('hex')}\n`);
    } finally {
      closeSync(fdSum);
    }
    // The checksum lands first: whoever sees the model also sees its checksum.
    renameSync(tmpSum, `${file}.sha256`);
    renameSync(tmp, file);
  } finally {
    rmSync(tmp, { force: true });
    rmSync(tmpSum, { force: true });
  }
  return { path: file, built: true, ms: performance.now() - started };
}
