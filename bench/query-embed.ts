/**
 * What a search waits for before semantic ranking can start: embedding the
 * query with the default model (all-MiniLM-L6-v2), one query at a time as a
 * search does, on one thread. CISI's judged queries (long questions)
 * read up to 256 word pieces (the model's limit, what passages get) against
 * up to 128 (what a query gets: MINILM_QUERY_MAX_TOKENS), interleaved so load
 * on the machine falls on both alike. Quality at each length: bench/eval.ts.
 *
 *   npx tsx bench/query-embed.ts            (--write: also into docs/benchmarks.md)
 */
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { MINILM_MAX_TOKENS, MINILM_QUERY_MAX_TOKENS } from '@quarry/ai';
import { openMiniLmSession } from '../packages/ai/src/embedders/minilm/session.js';
import { loadMiniLmTokenizer } from '../packages/ai/src/embedders/minilm/tokenizer.js';
import { loadSmartCollection } from './collections.js';
import { replaceSection } from './report.js';

const ROUNDS = 3;
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};

const queries = loadSmartCollection('cisi').queries.map((q) => q.text);
const tokenizer = loadMiniLmTokenizer();
const pieces = queries.map((q) => tokenizer.count(q));
const session = await openMiniLmSession({ cacheDir: path.join(tmpdir(), 'quarry-models'), threads: 1, runBatch: 1 });
const limits = [MINILM_MAX_TOKENS, MINILM_QUERY_MAX_TOKENS] as const;
const times = new Map<number, number[]>(limits.map((l) => [l, []]));
try {
  await session.embed(queries.slice(0, 4)); // warm-up: the first runs allocate
  for (let round = 0; round < ROUNDS; round++) {
    for (const q of queries) {
      for (const limit of round % 2 === 0 ? limits : [...limits].reverse()) {
        const t0 = performance.now();
        await session.embed([q], limit);
        times.get(limit)!.push(performance.now() - t0);
      }
    }
  }
} finally {
  await session.release();
}

const [full, short] = limits.map((l) => times.get(l)!);
const row = (limit: number, xs: number[]) => `| ${limit} | ${pct(xs, 50).toFixed(1)} | ${pct(xs, 95).toFixed(1)} | ${Math.max(...xs).toFixed(1)} |`;
const body = [
  `CISI's ${queries.length} judged queries (word pieces p50 ${pct(pieces, 50)}, p95 ${pct(pieces, 95)}, max ${Math.max(...pieces)}; ` +
    `${pieces.filter((n) => n > MINILM_QUERY_MAX_TOKENS).length} longer than ${MINILM_QUERY_MAX_TOKENS}), each embedded alone on one thread, ${ROUNDS} rounds, ` +
    `load ${loadavg().map((x) => x.toFixed(1)).join(' / ')}, \`npx tsx bench/query-embed.ts\`:`,
  '',
  '| word pieces read | p50 ms | p95 ms | max ms |',
  '|---|---|---|---|',
  row(MINILM_MAX_TOKENS, full!),
  row(MINILM_QUERY_MAX_TOKENS, short!),
  '',
  `${MINILM_QUERY_MAX_TOKENS} against ${MINILM_MAX_TOKENS}: p50 ${(pct(short!, 50) / pct(full!, 50)).toFixed(2)}×, p95 ${(pct(short!, 95) / pct(full!, 95)).toFixed(2)}×.`,
].join('\n');
console.log(body);
if (process.argv.includes('--write')) replaceSection('Query embedding: 128 word pieces', body);
