/**
 * Public test collections in the SMART format (CISI, CACM, MED, CRAN…):
 * `.I id` starts a record, `.T` title, `.W` text, `.A`/`.B`/`.X`… other fields.
 * Judgements are `qid docid [grade …]` lines (TREC qrels `qid 0 docid grade`
 * too). Collections are read from disk at run time, never copied into the
 * repository.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface CollectionDoc {
  id: string;
  title: string;
  text: string;
}

export interface CollectionQuery {
  id: string;
  text: string;
  /** docid → grade (> 0 is relevant). */
  relevant: Map<string, number>;
}

export interface Collection {
  name: string;
  docs: CollectionDoc[];
  /** Only queries that have at least one judgement. */
  queries: CollectionQuery[];
}

interface SmartRecord {
  id: string;
  fields: Map<string, string>;
}

function parseSmart(text: string): SmartRecord[] {
  const out: SmartRecord[] = [];
  let current: SmartRecord | undefined;
  let field: string | undefined;
  for (const line of text.split(/\r?\n/)) {
    const marker = /^\.([A-Z])(?:\s+(\S+))?\s*$/.exec(line);
    if (marker) {
      if (marker[1] === 'I') {
        current = { id: marker[2] ?? String(out.length + 1), fields: new Map() };
        out.push(current);
        field = undefined;
      } else {
        field = marker[1];
      }
      continue;
    }
    if (current && field) current.fields.set(field, `${current.fields.get(field) ?? ''}${line}\n`);
  }
  return out;
}

const clean = (s: string | undefined) => (s ?? '').replace(/\s+/g, ' ').trim();

/** The shared data folder beside the repository (../shared/data). */
export function sharedDataDir(): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../shared/data');
}

export function loadSmartCollection(name: string, dir = path.join(sharedDataDir(), name)): Collection {
  const upper = name.toUpperCase();
  const file = (ext: string) => path.join(dir, `${upper}.${ext}`);
  for (const ext of ['ALL', 'QRY', 'REL']) {
    if (!existsSync(file(ext))) throw new Error(`collection ${name}: ${file(ext)} not found`);
  }
  const docs = parseSmart(readFileSync(file('ALL'), 'latin1')).map((r) => ({ id: r.id, title: clean(r.fields.get('T')), text: clean(r.fields.get('W')) }));
  const rel = new Map<string, Map<string, number>>();
  for (const line of readFileSync(file('REL'), 'latin1').split(/\r?\n/)) {
    const parts = line.trim().split(/\s+/);
    if (parts.length < 2 || parts[0] === '') continue;
    // SMART: "qid docid 0 0.0" (binary); TREC: "qid 0 docid grade".
    const trec = parts.length === 4 && parts[1] === '0' && /^\d+$/.test(parts[3]!) && !parts[3]!.includes('.');
    const [qid, docid, grade] = trec ? [parts[0]!, parts[2]!, Number(parts[3])] : [parts[0]!, parts[1]!, 1];
    if (grade <= 0) continue;
    if (!rel.has(qid)) rel.set(qid, new Map());
    rel.get(qid)!.set(docid, grade);
  }
  const queries = parseSmart(readFileSync(file('QRY'), 'latin1'))
    .map((r) => ({ id: r.id, text: clean(`${r.fields.get('T') ?? ''} ${r.fields.get('W') ?? ''}`), relevant: rel.get(r.id) ?? new Map<string, number>() }))
    .filter((q) => q.relevant.size > 0 && q.text !== '');
  return { name, docs, queries };
}

/** Graded nDCG@k, MRR@k and recall@depth over distinct document ids. */
export function scoreRanking(ranked: string[], relevant: Map<string, number>, k = 10, depth = 100) {
  const top = ranked.slice(0, k);
  let dcg = 0;
  top.forEach((id, i) => {
    const g = relevant.get(id) ?? 0;
    if (g > 0) dcg += (2 ** g - 1) / Math.log2(i + 2);
  });
  const ideal = [...relevant.values()].sort((a, b) => b - a).slice(0, k);
  const idcg = ideal.reduce((s, g, i) => s + (2 ** g - 1) / Math.log2(i + 2), 0);
  const first = top.findIndex((id) => (relevant.get(id) ?? 0) > 0);
  const found = ranked.slice(0, depth).filter((id) => (relevant.get(id) ?? 0) > 0).length;
  return { ndcg: idcg === 0 ? 0 : dcg / idcg, rr: first < 0 ? 0 : 1 / (first + 1), recall: found / relevant.size };
}

/**
 * The reference: plain Okapi BM25 over whole documents (title + text), lower-cased
 * alphanumeric tokens, no stemming, no stop words, Lucene's idf. In process, exact.
 */
export function plainBm25(docs: CollectionDoc[], k1 = 1.2, b = 0.75): (query: string, depth: number) => string[] {
  const tokens = (s: string) => s.toLowerCase().match(/[a-z0-9]+/g) ?? [];
  const postings = new Map<string, Array<[number, number]>>();
  const lengths: number[] = [];
  docs.forEach((d, i) => {
    const tf = new Map<string, number>();
    const words = tokens(`${d.title} ${d.text}`);
    lengths.push(words.length);
    for (const w of words) tf.set(w, (tf.get(w) ?? 0) + 1);
    for (const [w, n] of tf) {
      if (!postings.has(w)) postings.set(w, []);
      postings.get(w)!.push([i, n]);
    }
  });
  const avgdl = lengths.reduce((a, c) => a + c, 0) / Math.max(1, docs.length);
  return (query, depth) => {
    const scores = new Map<number, number>();
    for (const w of tokens(query)) {
      const list = postings.get(w);
      if (!list) continue;
      const idf = Math.log(1 + (docs.length - list.length + 0.5) / (list.length + 0.5));
      for (const [i, tf] of list) {
        const s = (idf * tf * (k1 + 1)) / (tf + k1 * (1 - b + (b * lengths[i]!) / avgdl));
        scores.set(i, (scores.get(i) ?? 0) + s);
      }
    }
    return [...scores.entries()]
      .sort((x, y) => y[1] - x[1] || x[0] - y[0])
      .slice(0, depth)
      .map(([i]) => docs[i]!.id);
  };
}
