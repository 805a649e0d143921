/**
 * docs/api.md is the HTTP API reference in the repository, rendered from the
 * server's own /api/openapi.json. This test renders it again and fails when
 * the file is out of step with the routes; regenerate with
 *
 *   UPDATE_API_DOC=1 npx vitest run apps/web/test/api-doc.test.ts
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../../../test/support/app.js';
import { repoRoot } from '../../../test/support/process.js';

type Schema = Record<string, unknown>;
interface Operation {
  summary?: string;
  description?: string;
  tags?: string[];
  parameters?: { name: string; in: string; required?: boolean; description?: string; schema?: Schema }[];
  requestBody?: { content?: Record<string, { schema?: Schema }> };
  responses?: Record<string, { description?: string; content?: Record<string, { schema?: Schema }> }>;
}
interface OpenApi {
  info: { title: string; version: string; description?: string };
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, Schema> };
}

const target = path.join(repoRoot, 'docs', 'api.md');
const methods = ['get', 'post', 'put', 'patch', 'delete'];
const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');

/** A short type: `string`, `number | null`, `Workspace[]`, `"open" | "used"`, `{ a, b }`. */
function typeOf(doc: OpenApi, s: Schema | undefined, depth = 0): string {
  if (!s) return 'any';
  if (typeof s.$ref === 'string') return s.$ref.replace('#/components/schemas/', '');
  const alts = (s.anyOf ?? s.oneOf) as Schema[] | undefined;
  if (alts) return alts.map((a) => typeOf(doc, a, depth)).join(' | ');
  if (Array.isArray(s.allOf)) return (s.allOf as Schema[]).map((a) => typeOf(doc, a, depth)).join(' & ');
  if (Array.isArray(s.enum)) return (s.enum as unknown[]).map((v) => JSON.stringify(v)).join(' | ');
  if (s.const !== undefined) return JSON.stringify(s.const);
  const types = Array.isArray(s.type) ? (s.type as string[]) : [s.type as string | undefined];
  return types
    .map((t) => {
      if (t === 'array') return `${typeOf(doc, s.items as Schema, depth)}[]`;
      if (t === 'object' && s.properties && depth < 1) return `{ ${Object.keys(s.properties as object).join(', ')} }`;
      if (t === 'integer') return 'integer';
      return t ?? 'any';
    })
    .join(' | ');
}

function resolve(doc: OpenApi, s: Schema | undefined): Schema | undefined {
  let out = s;
  for (let i = 0; out && typeof out.$ref === 'string' && i < 10; i++) out = doc.components?.schemas?.[out.$ref.replace('#/components/schemas/', '')];
  return out;
}

/** The fields of an object schema as table rows (allOf parts merged). */
function fields(doc: OpenApi, s: Schema | undefined): string[] {
  const r = resolve(doc, s);
  if (!r) return [];
  const parts = Array.isArray(r.allOf) ? (r.allOf as Schema[]).map((p) => resolve(doc, p) ?? {}) : [r];
  const rows: string[] = [];
  for (const part of parts) {
    const required = new Set((part.required as string[] | undefined) ?? []);
    for (const [name, f] of Object.entries((part.properties ?? {}) as Record<string, Schema>)) {
      const desc = (f.description as string | undefined) ?? (resolve(doc, f)?.description as string | undefined) ?? '';
      rows.push(`| \`${name}\` | ${cell(typeOf(doc, f))} | ${required.has(name) ? 'yes' : ''} | ${cell(desc)} |`);
    }
  }
  return rows;
}

function renderApiMarkdown(doc: OpenApi): string {
  const out: string[] = [
    `# ${doc.info.title}`,
    '',
    '<!-- Generated from GET /api/openapi.json by apps/web/test/api-doc.test.ts; do not edit by hand.',
    '     Regenerate: UPDATE_API_DOC=1 npx vitest run apps/web/test/api-doc.test.ts -->',
    '',
    'Every route Quarry serves under `/api`, generated from the route schemas (the same document a running server',
    'serves at `GET /api/openapi.json`). Errors are always `{"error": {"code", "message", "requestId"}}`.',
    'Requests are authenticated by the session cookie (from `/api/auth/sign-in/email`; cookie writes need the',
    "server's own `Origin`) or by an API key in the `x-api-key` header. `/api/auth/*` is better-auth's",
    '(sign-up, sign-in, sign-out, sessions, password change) and is not listed here.',
    '',
  ];
  const byTag = new Map<string, { path: string; method: string; op: Operation }[]>();
  for (const [p, item] of Object.entries(doc.paths)) {
    for (const method of methods) {
      const op = item[method];
      if (!op) continue;
      const tag = op.tags?.[0] ?? 'other';
      if (!byTag.has(tag)) byTag.set(tag, []);
      byTag.get(tag)!.push({ path: p, method, op });
    }
  }
  for (const [tag, ops] of [...byTag].sort(([a], [b]) => a.localeCompare(b))) {
    out.push(`## ${tag}`, '');
    for (const { path: p, method, op } of ops.sort((a, b) => a.path.localeCompare(b.path) || methods.indexOf(a.method) - methods.indexOf(b.method))) {
      out.push(`### \`${method.toUpperCase()} ${p}\``, '');
      if (op.summary) out.push(op.summary, '');
      if (op.description) out.push(op.description, '');
      if (op.parameters?.length) {
        out.push('| parameter | in | type | required | description |', '| --- | --- | --- | --- | --- |');
        for (const prm of op.parameters)
          out.push(`| \`${prm.name}\` | ${prm.in} | ${cell(typeOf(doc, prm.schema))} | ${prm.required ? 'yes' : ''} | ${cell(prm.description ?? (prm.schema?.description as string | undefined) ?? '')} |`);
        out.push('');
      }
      const body = op.requestBody?.content?.['application/json']?.schema;
      const bodyRows = fields(doc, body);
      if (bodyRows.length) out.push('Body (JSON):', '', '| field | type | required | description |', '| --- | --- | --- | --- |', ...bodyRows, '');
      else if (op.requestBody) out.push(`Body: ${Object.keys(op.requestBody.content ?? {}).join(', ')}`, '');
      out.push('| status | meaning | body |', '| --- | --- | --- |');
      for (const [status, res] of Object.entries(op.responses ?? {})) {
        const [type, media] = Object.entries(res.content ?? {})[0] ?? [];
        const shape = media?.schema ? typeOf(doc, media.schema) : '';
        out.push(`| ${status} | ${cell(res.description ?? '')} | ${type ? `${type}${shape ? ` ${cell(shape)}` : ''}` : ''} |`);
      }
      out.push('');
      // An inline success body (named ones are under Schemas): its fields.
      const ok = Object.entries(op.responses ?? {}).find(([status]) => status.startsWith('2'))?.[1];
      const okSchema = ok?.content?.['application/json']?.schema;
      const okRows = okSchema && typeof okSchema.$ref !== 'string' ? fields(doc, okSchema) : [];
      if (okRows.length) out.push('Response fields:', '', '| field | type | required | description |', '| --- | --- | --- | --- |', ...okRows, '');
    }
  }
  const schemas = Object.entries(doc.components?.schemas ?? {}).sort(([a], [b]) => a.localeCompare(b));
  if (schemas.length) {
    out.push('## Schemas', '');
    for (const [name, s] of schemas) out.push(`### ${name}`, '', '| field | type | required | description |', '| --- | --- | --- | --- |', ...fields(doc, s), '');
  }
  return `${out.join('\n').trimEnd()}\n`;
}

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app?.dispose());

it('docs/api.md is the rendering of the served /api/openapi.json', async () => {
  const doc = (await (await fetch(`${app.url}/api/openapi.json`)).json()) as OpenApi;
  expect(doc.info.description ?? '').not.toContain('shared/API.md');
  const rendered = renderApiMarkdown(doc);
  if (process.env.UPDATE_API_DOC) writeFileSync(target, rendered);
  let current = '';
  try {
    current = readFileSync(target, 'utf8');
  } catch {
    /* missing: the comparison below says so */
  }
  expect(current, 'docs/api.md is out of step with the routes: regenerate it (see the top of this test)').toBe(rendered);
  // Every route is in it.
  for (const p of Object.keys(doc.paths)) expect(current).toContain(` ${p}\``);
});

it('the README points to the reference in the repository, not to a file that is not there', () => {
  const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
  expect(readme).not.toContain('shared/API.md');
  expect(readme).toContain('docs/api.md');
});
