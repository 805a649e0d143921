/**
 * Just enough of docker compose's interpolation to check a .env file against
 * docker/docker-compose.prod.yml: which variables it reads, which it requires
 * (`${VAR:?message}`), and what the web service's environment becomes.
 */
export interface ComposeVariable {
  name: string;
  /** `${VAR:?…}` / `${VAR?…}`: compose refuses to start without it. */
  required: boolean;
  /** The message compose prints when a required variable is missing. */
  message?: string;
}

/** Every `${…}` and `$VAR` in a text, outermost first; `$$` is an escaped dollar. */
export function composeVariables(text: string): ComposeVariable[] {
  const found = new Map<string, ComposeVariable>();
  const visit = (s: string) => {
    for (let i = 0; i < s.length; i++) {
      if (s[i] !== '$') continue;
      if (s[i + 1] === '$') {
        i++;
        continue;
      }
      if (s[i + 1] === '{') {
        const end = matchingBrace(s, i + 1);
        if (end === -1) continue;
        const body = s.slice(i + 2, end);
        const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:?[?\-+])([\s\S]*))?$/.exec(body);
        if (m) {
          const [, name, op, rest] = m;
          const required = op === ':?' || op === '?';
          const prev = found.get(name!);
          if (!prev || (required && !prev.required)) {
            found.set(name!, { name: name!, required: required || (prev?.required ?? false), ...(required ? { message: rest } : prev?.message ? { message: prev.message } : {}) });
          }
          if (rest && !required) visit(rest);
        }
        i = end;
        continue;
      }
      const bare = /^[A-Za-z_][A-Za-z0-9_]*/.exec(s.slice(i + 1));
      if (bare && !found.has(bare[0])) found.set(bare[0], { name: bare[0], required: false });
    }
  };
  visit(text);
  return [...found.values()];
}

function matchingBrace(s: string, open: number): number {
  let depth = 0;
  for (let i = open; i < s.length; i++) {
    if (s[i] === '{') depth++;
    else if (s[i] === '}' && --depth === 0) return i;
  }
  return -1;
}

export class InterpolationError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(message);
  }
}

/** Substitutes like compose: `${V}`, `${V:-d}`, `${V-d}`, `${V:?m}`, `${V?m}`, `${V:+a}`, `$V`, `$$`. */
export function interpolate(text: string, env: ReadonlyMap<string, string>): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c !== '$') {
      out += c;
      continue;
    }
    if (text[i + 1] === '$') {
      out += '$';
      i++;
      continue;
    }
    if (text[i + 1] === '{') {
      const end = matchingBrace(text, i + 1);
      if (end === -1) {
        out += c;
        continue;
      }
      const body = text.slice(i + 2, end);
      const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:?[?\-+])([\s\S]*))?$/.exec(body);
      if (!m) throw new InterpolationError(body, `invalid interpolation \${${body}}`);
      const [, name, op, rest = ''] = m;
      const value = env.get(name!);
      const unsetOrEmpty = value === undefined || value === '';
      switch (op) {
        case undefined:
          out += value ?? '';
          break;
        case ':-':
          out += unsetOrEmpty ? interpolate(rest, env) : value;
          break;
        case '-':
          out += value === undefined ? interpolate(rest, env) : value;
          break;
        case ':?':
        case '?':
          if (op === ':?' ? unsetOrEmpty : value === undefined) throw new InterpolationError(name!, rest || `${name} is required`);
          out += value;
          break;
        case ':+':
          out += unsetOrEmpty ? '' : interpolate(rest, env);
          break;
        case '+':
          out += value === undefined ? '' : interpolate(rest, env);
          break;
      }
      i = end;
      continue;
    }
    const bare = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i + 1));
    if (bare) {
      out += env.get(bare[0]) ?? '';
      i += bare[0].length;
    } else {
      out += c;
    }
  }
  return out;
}

/** Every string (keys included) of a parsed YAML document: comments never count. */
export function yamlStrings(node: unknown, out: string[] = []): string[] {
  if (typeof node === 'string') out.push(node);
  else if (Array.isArray(node)) for (const v of node) yamlStrings(v, out);
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      out.push(k);
      yamlStrings(v, out);
    }
  }
  return out;
}

export interface ComposeModel {
  variables: ComposeVariable[];
  /** services.<name>.environment as written (before interpolation). */
  environments: Record<string, Record<string, string>>;
}

/** Parses the compose file (YAML merge keys on) into what the doctor needs. */
export async function readComposeModel(text: string): Promise<ComposeModel> {
  // Loaded lazily: `yaml` is a dev dependency, absent from the production image.
  const { parse } = await import('yaml');
  const doc = parse(text, { merge: true }) as { services?: Record<string, { environment?: unknown }> } | null;
  const environments: Record<string, Record<string, string>> = {};
  for (const [name, service] of Object.entries(doc?.services ?? {})) {
    const env = service?.environment;
    const map: Record<string, string> = {};
    if (Array.isArray(env)) {
      for (const item of env) {
        const [k, ...v] = String(item).split('=');
        map[k!] = v.join('=');
      }
    } else if (env && typeof env === 'object') {
      for (const [k, v] of Object.entries(env)) map[k] = v === null || v === undefined ? '' : String(v);
    }
    environments[name] = map;
  }
  return { variables: composeVariables(yamlStrings(doc).join('\n')), environments };
}
