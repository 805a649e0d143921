import type { WeightPrecision } from './build-graph.js';

/** Messages between the MiniLM host (any thread) and its embedding worker thread. */

export interface InitMessage {
  type: 'init';
  cacheDir: string;
  /** ORT intra-op threads (see MiniLmEmbedderOptions.threads). */
  threads: number;
  /** Texts per ONNX run; a call's texts are sorted by length first, so padding stays small. */
  runBatch: number;
  /** The dense layers' weights: float, or int8 (see build-graph.ts). */
  precision: WeightPrecision;
}

export interface EmbedRequest {
  type: 'embed';
  id: number;
  texts: string[];
  /** Word pieces read per text (with [CLS] and [SEP]); longer texts are truncated. */
  maxTokens: number;
}

export type ToWorker = InitMessage | EmbedRequest;

export interface ReadyInfo {
  onnxPath: string;
  built: boolean;
  /** Verifying or building the ONNX file, ms. */
  prepareMs: number;
  sessionMs: number;
}

export type FromWorker =
  | { type: 'ready'; info: ReadyInfo }
  | { type: 'fatal'; message: string }
  | { type: 'result'; id: number; vectors: Float32Array }
  | { type: 'error'; id: number; message: string };
