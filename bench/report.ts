/**
 * Rewrites one "## <title>" section of docs/benchmarks.md, leaving the others
 * (written by other benchmarks) untouched.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const file = path.join(path.dirname(fileURLToPath(import.meta.url)), '../docs/benchmarks.md');

export function replaceSection(title: string, body: string): void {
  const current = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n';
  const lines = current.split('\n');
  const start = lines.findIndex((l) => l.trim() === `## ${title}`);
  const section = [`## ${title}`, '', body.trimEnd(), ''];
  if (start < 0) {
    const out = current.trimEnd() + '\n\n' + section.join('\n');
    writeFileSync(file, out.endsWith('\n') ? out : `${out}\n`);
    return;
  }
  let end = lines.findIndex((l, i) => i > start && /^## /.test(l));
  if (end < 0) end = lines.length;
  const out = [...lines.slice(0, start), ...section, ...lines.slice(end)].join('\n');
  writeFileSync(file, out.endsWith('\n') ? out : `${out}\n`);
}
