/**
 * Checks the UI's expectations (apps/web/src/ui/api/contract.ts) against the
 * server's OpenAPI document: every endpoint the UI calls exists with that
 * method, and every field the UI reads exists in the success response with a
 * compatible type. Returns readable problems instead of throwing.
 */
import type { Shape } from '../../src/ui/api/shape.js';

type JsonSchema = Record<string, unknown>;
interface OpenApiDoc {
  paths: Record<
    string,
    Record<string, { responses?: Record<string, { content?: Record<string, { schema?: JsonSchema }> }> }>
  >;
  components?: { schemas?: Record<string, JsonSchema> };
}

function resolve(doc: OpenApiDoc, schema: JsonSchema | undefined): JsonSchema | undefined {
  let s = schema;
  for (let i = 0; s && typeof s.$ref === 'string' && i < 20; i++) {
    const name = (s.$ref as string).replace('#/components/schemas/', '');
    s = doc.components?.schemas?.[name];
  }
  // allOf (how `.extend()` of a named schema comes out): merge the parts' properties and required lists.
  if (s && Array.isArray(s.allOf)) {
    const parts = (s.allOf as JsonSchema[]).map((p) => resolve(doc, p) ?? {});
    const { allOf: _allOf, ...rest } = s;
    return {
      type: 'object',
      ...rest,
      properties: Object.assign({}, ...parts.map((p) => p.properties ?? {}), rest.properties ?? {}),
      required: [
        ...parts.flatMap((p) => (p.required as string[] | undefined) ?? []),
        ...((rest.required as string[] | undefined) ?? []),
      ],
    };
  }
  return s;
}

/** The alternatives of a schema (anyOf/oneOf/type arrays), and whether null is one of them. */
function variants(doc: OpenApiDoc, schema: JsonSchema | undefined): { options: JsonSchema[]; nullable: boolean } {
  const s = resolve(doc, schema);
  if (!s) return { options: [], nullable: false };
  const list = (s.anyOf ?? s.oneOf) as JsonSchema[] | undefined;
  if (list) {
    const parts = list.map((v) => variants(doc, v));
    return { options: parts.flatMap((p) => p.options), nullable: parts.some((p) => p.nullable) };
  }
  if (Array.isArray(s.type)) {
    const types = s.type as string[];
    return {
      options: types.filter((t) => t !== 'null').map((type) => ({ ...s, type })),
      nullable: types.includes('null') || s.nullable === true,
    };
  }
  if (s.type === 'null') return { options: [], nullable: true };
  return { options: [s], nullable: s.nullable === true };
}

export function checkShape(
  doc: OpenApiDoc,
  expected: Shape,
  schema: JsonSchema | undefined,
  at: string,
  problems: string[],
): void {
  if (expected.kind === 'unknown') return;
  if (expected.kind === 'optional') return checkShape(doc, expected.of, schema, at, problems);
  const { options, nullable } = variants(doc, schema);
  if (!schema || (!options.length && !nullable)) {
    // An empty schema ({}) means "anything": nothing to check against.
    if (schema && Object.keys(resolve(doc, schema) ?? {}).length === 0) return;
    problems.push(`${at}: missing in the server's schema`);
    return;
  }
  let inner: Shape = expected;
  if (expected.kind === 'nullable') inner = expected.of;
  else if (nullable) problems.push(`${at}: the server may send null, the UI does not expect it`);
  if (!options.length) return;
  const fits = options.some((o) => fitsOne(doc, inner, o, at, []));
  if (!fits) {
    // Re-run on the first option to report the detailed reason.
    const detail: string[] = [];
    fitsOne(doc, inner, options[0]!, at, detail);
    problems.push(
      ...(detail.length
        ? detail
        : [`${at}: type differs (UI expects ${inner.kind}, server has ${JSON.stringify(options.map((o) => o.type))})`]),
    );
  }
}

function fitsOne(doc: OpenApiDoc, expected: Shape, s: JsonSchema, at: string, problems: string[]): boolean {
  const before = problems.length;
  switch (expected.kind) {
    case 'string':
      if (s.type !== 'string') problems.push(`${at}: UI expects a string, server has ${String(s.type)}`);
      break;
    case 'number':
      if (s.type !== 'number' && s.type !== 'integer')
        problems.push(`${at}: UI expects a number, server has ${String(s.type)}`);
      break;
    case 'boolean':
      if (s.type !== 'boolean') problems.push(`${at}: UI expects a boolean, server has ${String(s.type)}`);
      break;
    case 'enum': {
      const values = (s.enum as unknown[] | undefined) ?? (s.const !== undefined ? [s.const] : undefined);
      if (s.type !== 'string')
        problems.push(`${at}: UI expects one of ${expected.values.join('|')}, server has ${String(s.type)}`);
      else if (values) {
        // A nullable enum lists null among its values; whether null is allowed is checked above.
        const unknownToUi = values.filter((v) => v !== null && !expected.values.includes(String(v)));
        if (unknownToUi.length)
          problems.push(`${at}: the server may send ${unknownToUi.join(', ')}, which the UI does not handle`);
      }
      break;
    }
    case 'array':
      if (s.type !== 'array') problems.push(`${at}: UI expects an array, server has ${String(s.type)}`);
      else checkShape(doc, expected.of, s.items as JsonSchema | undefined, `${at}[]`, problems);
      break;
    case 'object': {
      if (s.type !== 'object') {
        problems.push(`${at}: UI expects an object, server has ${String(s.type)}`);
        break;
      }
      const props = (s.properties ?? {}) as Record<string, JsonSchema>;
      const required = new Set((s.required ?? []) as string[]);
      for (const [name, field] of Object.entries(expected.fields)) {
        const path = `${at}.${name}`;
        if (!(name in props)) {
          if (field.kind !== 'optional') problems.push(`${path}: missing in the server's schema`);
          continue;
        }
        if (field.kind !== 'optional' && !required.has(name))
          problems.push(`${path}: optional on the server, required by the UI`);
        checkShape(doc, field, props[name], path, problems);
      }
      break;
    }
    default:
      checkShape(doc, expected, s, at, problems);
  }
  return problems.length === before;
}

export function checkEndpoint(
  doc: OpenApiDoc,
  endpoint: { method: string; path: string; response?: Shape },
  name: string,
): string[] {
  const op = doc.paths[endpoint.path]?.[endpoint.method.toLowerCase()];
  if (!op) return [`${name}: ${endpoint.method} ${endpoint.path} is not in /api/openapi.json`];
  if (!endpoint.response) return [];
  const ok = Object.entries(op.responses ?? {}).find(([status]) => /^2/.test(status));
  const schema = ok?.[1].content?.['application/json']?.schema;
  if (!schema) return [`${name}: ${endpoint.method} ${endpoint.path} documents no JSON success response`];
  const problems: string[] = [];
  checkShape(doc, endpoint.response, schema, `${name}`, problems);
  return problems;
}
