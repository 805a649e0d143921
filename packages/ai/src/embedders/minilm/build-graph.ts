/**
 * Builds the ONNX graph of a BERT sentence encoder (all-MiniLM-L6-v2) from its
 * safetensors weights, with only standard opset-17 operators:
 *
 *   word + (position + token-type 0) embeddings → LayerNormalization
 *   N × [ fused QKV MatMul → 12-head scaled dot-product attention (additive
 *         padding mask) → output projection → residual + LayerNormalization
 *         → FFN with GELU (erf form) → residual + LayerNormalization ]
 *   mean pooling over attention_mask → L2 normalisation
 *
 * Inputs: input_ids, attention_mask (int64 [batch, seq]); token_type_ids is
 * not an input (a single-sentence encoder only ever uses type 0, folded into
 * the position table). Output: sentence_embedding (float32 [batch, hidden]).
 *
 * Weights are up-cast from fp16 to fp32 initializers: ORT's CPU kernels are
 * fp32, so fp16+Cast would only move the same conversion to session creation.
 * Query scaling 1/√head_dim is folded into the query weights.
 */
import type { ModelSpec, NodeSpec, TensorSpec } from './onnx-writer.js';
import { toFloat32, type SafeTensor } from './safetensors.js';

export interface BertShape {
  hiddenSize: number;
  numLayers: number;
  numHeads: number;
  intermediateSize: number;
  layerNormEps: number;
}

/** Bump when the graph changes: it is part of the cache file's key. */
export const GRAPH_BUILDER_VERSION = 1;

/**
 * How the dense layers' weights are stored. 'int8': symmetric per-column
 * weights in a 7-bit range (AVX2 without VNNI sums u8×s8 pairs in int16, which
 * saturates with full 8-bit weights), activations quantised per call by
 * DynamicQuantizeLinear; ORT fuses the pattern into one quantised MatMul.
 */
export type WeightPrecision = 'fp32' | 'int8';

/**
 * Symmetric int8 quantisation with one scale per group (a column or a row): element k of group g sits at
 * g·groupStride + k·elementStride, and each group's largest magnitude maps to ±levels.
 */
function quantiseGroups(
  values: Float32Array,
  layout: { groups: number; length: number; groupStride: number; elementStride: number; levels: number },
): { q: Int8Array; scales: Float32Array } {
  const { groups, length, groupStride, elementStride, levels } = layout;
  const q = new Int8Array(values.length);
  const scales = new Float32Array(groups);
  for (let g = 0; g < groups; g++) {
    let max = 0;
    for (let k = 0; k < length; k++) max = Math.max(max, Math.abs(values[g * groupStride + k * elementStride]!));
    const scale = max / levels || 1;
    scales[g] = scale;
    for (let k = 0; k < length; k++) q[g * groupStride + k * elementStride] = Math.round(values[g * groupStride + k * elementStride]! / scale);
  }
  return { q, scales };
}

export function buildBertEncoderGraph(
  weights: Map<string, SafeTensor>,
  shape: BertShape,
  precision: WeightPrecision = 'fp32',
): ModelSpec {
  const { hiddenSize: H, numLayers, numHeads, intermediateSize: I, layerNormEps } = shape;
  const headDim = H / numHeads;
  if (!Number.isInteger(headDim)) throw new Error(`hidden size ${H} is not divisible by ${numHeads} heads`);

  const get = (name: string): { data: Float32Array; shape: number[] } => {
    const t = weights.get(name);
    if (!t) throw new Error(`weights lack tensor ${name}`);
    return { data: toFloat32(t), shape: t.shape };
  };
  const expectShape = (name: string, actual: number[], expected: number[]) => {
    if (actual.join('x') !== expected.join('x')) throw new Error(`tensor ${name} has shape ${actual.join('x')}; expected ${expected.join('x')}`);
  };

  const nodes: NodeSpec[] = [];
  const initializers: TensorSpec[] = [];
  let counter = 0;
  const op = (type: string, inputs: string[], attributes?: NodeSpec['attributes'], outputName?: string): string => {
    const out = outputName ?? `${type.toLowerCase()}_${counter++}`;
    nodes.push({ op: type, inputs, outputs: [out], name: `n${nodes.length}_${type}`, ...(attributes ? { attributes } : {}) });
    return out;
  };
  const init = (name: string, data: Float32Array, dims: number[]) => {
    initializers.push({ name, type: 'float', dims, data });
    return name;
  };
  const initInt64 = (name: string, values: number[], dims: number[] = [values.length]) => {
    initializers.push({ name, type: 'int64', dims, data: BigInt64Array.from(values.map(BigInt)) });
    return name;
  };
  const scalar = (name: string, value: number) => init(name, Float32Array.of(value), []);

  /** x · W for a weight W [inp, out]: a float MatMul, or int8 per column with the activations quantised on the fly. */
  const matmul = (x: string, name: string, w: Float32Array, inp: number, out: number): string => {
    if (precision === 'fp32') return op('MatMul', [x, init(name, w, [inp, out])]);
    const { q, scales } = quantiseGroups(w, { groups: out, length: inp, groupStride: 1, elementStride: out, levels: 63 });
    initializers.push({ name: `${name}.q`, type: 'int8', dims: [inp, out], data: q });
    initializers.push({ name: `${name}.zero`, type: 'int8', dims: [out], data: new Int8Array(out) });
    init(`${name}.scale`, scales, [out]);
    const [xq, xScale, xZero] = [`${name}.xq`, `${name}.xs`, `${name}.xz`];
    nodes.push({ op: 'DynamicQuantizeLinear', inputs: [x], outputs: [xq, xScale, xZero], name: `n${nodes.length}_DynamicQuantizeLinear` });
    const product = op('Cast', [op('MatMulInteger', [xq, `${name}.q`, xZero, `${name}.zero`])], { to: { i: 1 } });
    return op('Mul', [product, op('Mul', [xScale, `${name}.scale`])]);
  };

  /**
   * A lookup table (the word table: half the model's weights), float or int8 with one scale per row;
   * `rows()` gathers the rows for the token ids ([B, S, H]), scaled back to float.
   */
  const table = (name: string, data: Float32Array, dims: number[]): { rows: () => string } => {
    const gather = (t: string) => op('Gather', [t, 'input_ids'], { axis: { i: 0 } });
    if (precision === 'fp32') {
      init(name, data, dims);
      return { rows: () => gather(name) };
    }
    const [rows, width] = dims as [number, number];
    const { q, scales } = quantiseGroups(data, { groups: rows, length: width, groupStride: width, elementStride: 1, levels: 127 });
    initializers.push({ name: `${name}.q`, type: 'int8', dims, data: q });
    init(`${name}.scale`, scales, [rows]);
    return { rows: () => op('Mul', [op('Cast', [gather(`${name}.q`)], { to: { i: 1 } }), op('Unsqueeze', [gather(`${name}.scale`), 'c_axis2'])]) };
  };

  /** PyTorch Linear weight [out, in] → MatMul's [in, out]. */
  const transposed = (w: Float32Array, out: number, inp: number, scale = 1): Float32Array => {
    const t = new Float32Array(w.length);
    for (let o = 0; o < out; o++) for (let i = 0; i < inp; i++) t[i * out + o] = w[o * inp + i]! * scale;
    return t;
  };
  const linear = (x: string, prefix: string, out: number, inp: number): string => {
    const w = get(`${prefix}.weight`);
    const b = get(`${prefix}.bias`);
    expectShape(`${prefix}.weight`, w.shape, [out, inp]);
    // Weight before bias: the float graph's initializers keep the order (and bytes) they had before int8.
    const product = matmul(x, `${prefix}.weight_t`, transposed(w.data, out, inp), inp, out);
    return op('Add', [product, init(`${prefix}.bias`, b.data, [out])]);
  };
  const layerNorm = (x: string, prefix: string): string => {
    const g = init(`${prefix}.weight`, get(`${prefix}.weight`).data, [H]);
    const b = init(`${prefix}.bias`, get(`${prefix}.bias`).data, [H]);
    return op('LayerNormalization', [x, g, b], { axis: { i: -1 }, epsilon: { f: layerNormEps } });
  };

  // Shared constants.
  scalar('c_one', 1);
  scalar('c_half', 0.5);
  scalar('c_sqrt2', Math.SQRT2);
  scalar('c_mask_bias', -1e9);
  scalar('c_min_count', 1e-9);
  scalar('c_min_norm', 1e-12);
  initInt64('c_axis0', [0]);
  initInt64('c_axis1', [1]);
  initInt64('c_axis2', [2]);
  initInt64('c_axes12', [1, 2]);
  initInt64('c_zero', [0]);
  initInt64('c_qkv_shape', [0, 0, 3 * numHeads, headDim]);
  initInt64('c_hidden_shape', [0, 0, H]);
  initInt64('c_split_qkv', [numHeads, numHeads, numHeads]);

  // Embeddings.
  const word = get('embeddings.word_embeddings.weight');
  const position = get('embeddings.position_embeddings.weight');
  const tokenType = get('embeddings.token_type_embeddings.weight');
  const positionPlusType = new Float32Array(position.data.length);
  for (let i = 0; i < position.data.length; i++) positionPlusType[i] = position.data[i]! + tokenType.data[i % H]!;
  const wordTable = table('embeddings.word', word.data, word.shape);
  init('embeddings.position_type0', positionPlusType, position.shape);

  const seqLen = op('Shape', ['input_ids'], { start: { i: 1 }, end: { i: 2 } }); // [S]
  const positions = op('Slice', ['embeddings.position_type0', 'c_zero', seqLen, 'c_axis0']); // [S, H]
  const words = wordTable.rows(); // [B, S, H]
  let x = layerNorm(op('Add', [words, positions]), 'embeddings.LayerNorm');

  // Masks: float [B, S]; additive attention bias [B, 1, 1, S].
  const maskF = op('Cast', ['attention_mask'], { to: { i: 1 } });
  const maskBias = op('Unsqueeze', [op('Mul', [op('Sub', ['c_one', maskF]), 'c_mask_bias']), 'c_axes12']);

  for (let l = 0; l < numLayers; l++) {
    const p = `encoder.layer.${l}`;
    const q = get(`${p}.attention.self.query.weight`);
    const k = get(`${p}.attention.self.key.weight`);
    const v = get(`${p}.attention.self.value.weight`);
    expectShape(`${p}.attention.self.query.weight`, q.shape, [H, H]);
    const scale = 1 / Math.sqrt(headDim);
    const qt = transposed(q.data, H, H, scale);
    const kt = transposed(k.data, H, H);
    const vt = transposed(v.data, H, H);
    const qkvW = new Float32Array(H * 3 * H);
    for (let i = 0; i < H; i++) {
      qkvW.set(qt.subarray(i * H, (i + 1) * H), i * 3 * H);
      qkvW.set(kt.subarray(i * H, (i + 1) * H), i * 3 * H + H);
      qkvW.set(vt.subarray(i * H, (i + 1) * H), i * 3 * H + 2 * H);
    }
    const qkvB = new Float32Array(3 * H);
    const qb = get(`${p}.attention.self.query.bias`).data;
    for (let i = 0; i < H; i++) qkvB[i] = qb[i]! * scale;
    qkvB.set(get(`${p}.attention.self.key.bias`).data, H);
    qkvB.set(get(`${p}.attention.self.value.bias`).data, 2 * H);
    const qkvProduct = matmul(x, `${p}.qkv.weight`, qkvW, H, 3 * H);
    const qkv = op('Add', [qkvProduct, init(`${p}.qkv.bias`, qkvB, [3 * H])]); // [B, S, 3H]
    const heads = op('Transpose', [op('Reshape', [qkv, 'c_qkv_shape'])], { perm: { ints: [0, 2, 1, 3] } }); // [B, 3·nh, S, hd]
    const [qh, kh, vh] = [`${p}.q`, `${p}.k`, `${p}.v`];
    nodes.push({ op: 'Split', inputs: [heads, 'c_split_qkv'], outputs: [qh, kh, vh], name: `n${nodes.length}_Split`, attributes: { axis: { i: 1 } } });
    const scores = op('Add', [op('MatMul', [qh, op('Transpose', [kh], { perm: { ints: [0, 1, 3, 2] } })]), maskBias]); // [B, nh, S, S]
    const probs = op('Softmax', [scores], { axis: { i: -1 } });
    const context = op('Reshape', [op('Transpose', [op('MatMul', [probs, vh])], { perm: { ints: [0, 2, 1, 3] } }), 'c_hidden_shape']); // [B, S, H]
    const attention = linear(context, `${p}.attention.output.dense`, H, H);
    x = layerNorm(op('Add', [attention, x]), `${p}.attention.output.LayerNorm`);

    const h = linear(x, `${p}.intermediate.dense`, I, H);
    const gelu = op('Mul', [op('Mul', [h, op('Add', [op('Erf', [op('Div', [h, 'c_sqrt2'])]), 'c_one'])]), 'c_half']);
    const ffn = linear(gelu, `${p}.output.dense`, H, I);
    x = layerNorm(op('Add', [ffn, x]), `${p}.output.LayerNorm`);
  }

  // Mean pooling over real tokens, then L2 normalisation.
  const mask3 = op('Unsqueeze', [maskF, 'c_axis2']); // [B, S, 1]
  const summed = op('ReduceSum', [op('Mul', [x, mask3]), 'c_axis1'], { keepdims: { i: 0 } }); // [B, H]
  const counts = op('Max', [op('ReduceSum', [mask3, 'c_axis1'], { keepdims: { i: 0 } }), 'c_min_count']); // [B, 1]
  const mean = op('Div', [summed, counts]);
  const norm = op('Max', [op('ReduceL2', [mean], { axes: { ints: [1] }, keepdims: { i: 1 } }), 'c_min_norm']);
  op('Div', [mean, norm], undefined, 'sentence_embedding');

  return {
    opset: 17,
    irVersion: 8,
    producerName: 'quarry',
    producerVersion: `minilm-graph-${GRAPH_BUILDER_VERSION}${precision === 'int8' ? '-int8' : ''}`,
    graph: {
      name: 'bert_sentence_encoder',
      nodes,
      initializers,
      inputs: [
        { name: 'input_ids', type: 'int64', dims: ['batch', 'sequence'] },
        { name: 'attention_mask', type: 'int64', dims: ['batch', 'sequence'] },
      ],
      outputs: [{ name: 'sentence_embedding', type: 'float', dims: ['batch', H] }],
    },
  };
}
