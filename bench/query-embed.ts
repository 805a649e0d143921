/**
 * What a search waits for before semantic ranking can start: embedding the
 * query with the default model (all-MiniLM-L6-v2), one query at a time as a
 * search does. CISI's judged queries (long questions) in four settings, each
 * its own ONNX session, interleaved query by query so load on the machine
 * falls on all alike:
 *
 *   - 256 word pieces (the model's limit, what passages get) on one thread, float weights (the baseline);
 *   - 128 word pieces (MINILM_QUERY_MAX_TOKENS) on one thread;
 *   - 128 word pieces on two threads (the embedder's default on a machine with 2+ cores);
 *   - the same with int8 dense layers (EMBEDDING_PRECISION's default), with how close
 *     its vectors are to the float ones.
 *
 * Quality at each length and precision: bench/eval.ts, bench/eval-collection.ts.
 *
 *   npx tsx bench/query-embed.ts            (--write: also into docs/benchmarks.md)
 */
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { MINILM_DIMENSIONS, MINILM_MAX_TOKENS, MINILM_QUERY_MAX_TOKENS, type WeightPrecision } from '@quarry/ai';
import { openMiniLmSession, type MiniLmSession } from '../packages/ai/src/embedders/minilm/session.js';
import { loadMiniLmTokenizer } from '../packages/ai/src/embedders/minilm/tokenizer.js';
import { loadSmartCollection } from './collections.js';
import { replaceSection } from './report.js';

const ROUNDS = 3;
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};

interface Setting {
  label: string;
  limit: number;
  threads: number;
  precision: WeightPrecision;
  session?: MiniLmSession;
  times: number[];
  /** The last round's vector per query. */
  vectors: Float32Array[];
}

const queries = loadSmartCollection('cisi').queries.map((q) => q.text);
const tokenizer = loadMiniLmTokenizer();
const pieces = queries.map((q) => tokenizer.count(q));
const cacheDir = path.join(tmpdir(), 'quarry-models');
const setting = (label: string, limit: number, threads: number, precision: WeightPrecision): Setting => ({
  label,
  limit,
  threads,
  precision,
  times: [],
  vectors: [],
});
const settings: Setting[] = [
  setting(`${MINILM_MAX_TOKENS} pieces, 1 thread, fp32 (baseline)`, MINILM_MAX_TOKENS, 1, 'fp32'),
  setting(`${MINILM_QUERY_MAX_TOKENS} pieces, 1 thread, fp32`, MINILM_QUERY_MAX_TOKENS, 1, 'fp32'),
  setting(`${MINILM_QUERY_MAX_TOKENS} pieces, 2 threads, fp32`, MINILM_QUERY_MAX_TOKENS, 2, 'fp32'),
  setting(`${MINILM_QUERY_MAX_TOKENS} pieces, 2 threads, int8 (default)`, MINILM_QUERY_MAX_TOKENS, 2, 'int8'),
];
try {
  for (const s of settings) {
    s.session = await openMiniLmSession({ cacheDir, threads: s.threads, runBatch: 1, precision: s.precision });
    await s.session.embed(queries.slice(0, 4), s.limit); // warm-up: the first runs allocate
  }
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, q] of queries.entries()) {
      for (const s of round % 2 === 0 ? settings : [...settings].reverse()) {
        const t0 = performance.now();
        s.vectors[i] = await s.session!.embed([q], s.limit);
        s.times.push(performance.now() - t0);
      }
    }
  }
} finally {
  for (const s of settings) await s.session?.release();
}

const base = settings[0]!.times;
const row = (s: Setting) =>
  `| ${s.label} | ${pct(s.times, 50).toFixed(1)} | ${pct(s.times, 95).toFixed(1)} | ${Math.max(...s.times).toFixed(1)} | ` +
  `${(pct(s.times, 50) / pct(base, 50)).toFixed(2)}× | ${(pct(s.times, 95) / pct(base, 95)).toFixed(2)}× |`;
// How far int8 moves a query: cosine between the int8 and float vectors of the same query at 128 pieces.
const dot = (a: Float32Array, b: Float32Array) => {
  let sum = 0;
  for (let k = 0; k < MINILM_DIMENSIONS; k++) sum += a[k]! * b[k]!;
  return sum;
};
const closeness = settings[3]!.vectors.map((v, i) => dot(v, settings[2]!.vectors[i]!));
const body = [
  `CISI's ${queries.length} judged queries (word pieces p50 ${pct(pieces, 50)}, p95 ${pct(pieces, 95)}, max ${Math.max(...pieces)}; ` +
    `${pieces.filter((n) => n > MINILM_QUERY_MAX_TOKENS).length} longer than ${MINILM_QUERY_MAX_TOKENS}), each embedded alone, ${ROUNDS} rounds, ` +
    `${availableParallelism()} cores, load ${loadavg().map((x) => x.toFixed(1)).join(' / ')} at the end, \`npx tsx bench/query-embed.ts\`:`,
  '',
  '| setting | p50 ms | p95 ms | max ms | p50 vs baseline | p95 vs baseline |',
  '|---|---|---|---|---|---|',
  ...settings.map(row),
  '',
  `int8 against fp32, the same query at ${MINILM_QUERY_MAX_TOKENS} pieces: cosine min ${Math.min(...closeness).toFixed(4)}, ` +
    `median ${pct(closeness, 50).toFixed(4)}. Ranking quality with each: the CISI eval sections.`,
].join('\n');
console.log(body);
if (process.argv.includes('--write')) replaceSection('Query embedding: word pieces, threads and weights', body);
