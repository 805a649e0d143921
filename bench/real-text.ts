/**
 * Real English text at scale, read at run time from what is on this machine: CISI's abstracts
 * (../shared/data/cisi), the Markdown documentation that ships inside node_modules (READMEs,
 * guides, change logs), the documentation comments of its type declarations and code (`/** … *\/`),
 * then, when more is wanted, the docstrings of the system's Python library and the plain-text files
 * under /usr/share/doc (what this machine's Debian packages ship; none of it is needed, so a machine
 * without them just yields fewer passages). Nothing is copied into the repository. Cut into passages of at most
 * `maxWords` words, prose only (code blocks, tables and markup dropped), exact duplicates removed,
 * in a fixed order, so every run on the same lockfile reads the same passages.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadSmartCollection } from './collections.js';

const repoRoot = fileURLToPath(new URL('../', import.meta.url));

function filesNamed(pattern: RegExp, dir: string, out: string[] = [], depth = 0): string[] {
  if (depth > 8) return out;
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1));
  } catch {
    return out;
  }
  for (const e of entries) {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) filesNamed(pattern, full, out, depth + 1);
    else if (e.isFile() && pattern.test(e.name) && statSync(full).size > 512) out.push(full);
  }
  return out;
}

/** Prose paragraphs of a Markdown file: no fenced code, tables, headings or HTML; links reduced to their text. */
function prose(markdown: string): string[] {
  const withoutCode = markdown.replace(/```[\s\S]*?```/g, '\n\n').replace(/~~~[\s\S]*?~~~/g, '\n\n');
  return withoutCode
    .split(/\n\s*\n/)
    .map((p) =>
      p
        .split('\n')
        .filter((l) => !/^\s*(#|\||<|>|\s{4}|\t|[-*_]{3,}\s*$)/.test(l))
        .join(' ')
        .replace(/!\[[^\]]*\]\([^)]*\)/g, '')
        .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
        .replace(/<[^>]+>/g, '')
        .replace(/`([^`]*)`/g, '$1')
        .replace(/[*_]{1,3}([^*_]+)[*_]{1,3}/g, '$1')
        .replace(/^\s*([-*+]|\d+\.)\s+/, '')
        .replace(/\s+/g, ' ')
        .trim(),
    )
    .filter((p) => {
      const words = p.split(' ');
      const letters = (p.match(/[A-Za-z]/g) ?? []).length;
      return words.length >= 12 && letters / p.length > 0.7;
    });
}

/** The prose of documentation comments: tags, examples and markup dropped. */
function docComments(source: string): string[] {
  const out: string[] = [];
  for (const m of source.matchAll(/\/\*\*([\s\S]*?)\*\//g)) {
    const text = m[1]!
      .split('\n')
      .map((l) => l.replace(/^\s*\*\s?/, ''))
      .join('\n')
      .split(/\n\s*@/)[0]!;
    out.push(...prose(text));
  }
  return out;
}

/** Python docstrings (triple-quoted), as paragraphs. */
function docstrings(source: string): string[] {
  const out: string[] = [];
  for (const m of source.matchAll(/(?:"""|''')([\s\S]*?)(?:"""|''')/g)) out.push(...prose(m[1]!.replace(/^\s+/gm, '')));
  return out;
}

function readText(file: string): string {
  try {
    const bytes = readFileSync(file);
    return (file.endsWith('.gz') ? gunzipSync(bytes) : bytes).toString('utf8');
  } catch {
    return '';
  }
}

/** A paragraph cut into pieces of at most `maxWords` words, on sentence ends where it can. */
function cut(paragraph: string, maxWords: number): string[] {
  const sentences = paragraph.split(/(?<=[.!?])\s+/);
  const out: string[] = [];
  let current: string[] = [];
  for (const s of sentences) {
    const words = s.split(' ');
    if (current.length > 0 && current.length + words.length > maxWords) {
      out.push(current.join(' '));
      current = [];
    }
    for (let i = 0; i < words.length; i += maxWords) {
      const piece = words.slice(i, i + maxWords);
      if (current.length + piece.length > maxWords) {
        out.push(current.join(' '));
        current = [];
      }
      current.push(...piece);
    }
  }
  if (current.length >= 8) out.push(current.join(' '));
  return out;
}

export interface RealText {
  passages: string[];
  sources: { cisi: number; markdownFiles: number; markdown: number; declarationFiles: number; comments: number; python: number; systemDocs: number };
}

/** Up to `limit` distinct passages: CISI's first, then the documentation's. */
export function realTextPassages(limit: number, maxWords = 60): RealText {
  const seen = new Set<string>();
  const passages: string[] = [];
  const add = (p: string) => {
    const key = p.toLowerCase();
    if (passages.length >= limit || seen.has(key)) return false;
    seen.add(key);
    passages.push(p);
    return true;
  };
  let cisi = 0;
  for (const d of loadSmartCollection('cisi').docs) for (const piece of cut(`${d.title}. ${d.text}`.replace(/\s+/g, ' '), maxWords)) if (add(piece)) cisi++;
  const modules = path.join(repoRoot, 'node_modules');
  const files = filesNamed(/\.md$/i, modules);
  let markdown = 0;
  for (const f of files) {
    if (passages.length >= limit) break;
    for (const p of prose(readFileSync(f, 'utf8'))) for (const piece of cut(p, maxWords)) if (add(piece)) markdown++;
  }
  const declarations = passages.length < limit ? filesNamed(/\.(d\.ts|d\.mts|d\.cts|js|mjs|cjs)$/, modules) : [];
  let comments = 0;
  for (const f of declarations) {
    if (passages.length >= limit) break;
    for (const p of docComments(readFileSync(f, 'utf8'))) for (const piece of cut(p, maxWords)) if (add(piece)) comments++;
  }
  let python = 0;
  const pythonFiles = passages.length < limit ? ['/usr/lib/python3', '/usr/lib/python3.11', '/usr/lib/python3.12', '/usr/lib/python3.13'].flatMap((d) => filesNamed(/\.py$/, d)) : [];
  for (const f of pythonFiles) {
    if (passages.length >= limit) break;
    for (const p of docstrings(readText(f))) for (const piece of cut(p, maxWords)) if (add(piece)) python++;
  }
  let systemDocs = 0;
  const docFiles = passages.length < limit ? filesNamed(/^(README|NEWS|.*\.txt|.*\.md)(\.gz)?$/i, '/usr/share/doc') : [];
  for (const f of docFiles) {
    if (passages.length >= limit) break;
    for (const p of prose(readText(f))) for (const piece of cut(p, maxWords)) if (add(piece)) systemDocs++;
  }
  return { passages, sources: { cisi, markdownFiles: files.length, markdown, declarationFiles: declarations.length, comments, python, systemDocs } };
}
