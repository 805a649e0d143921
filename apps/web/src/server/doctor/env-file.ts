/**
 * Reads a docker compose `.env` file the way compose does, without touching
 * process.env: `KEY=value`, optional `export `, `#` comments, single quotes
 * (literal) and double quotes (with \n, \t, \\ and \" escapes), inline
 * ` #` comments after unquoted values.
 */
export interface EnvFile {
  values: Map<string, string>;
  /** Lines that are neither blank, comments nor assignments (1-based line numbers). */
  invalidLines: number[];
}

export function parseEnvFile(text: string): EnvFile {
  const values = new Map<string, string>();
  const invalidLines: number[] = [];
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!m) {
      invalidLines.push(index + 1);
      return;
    }
    values.set(m[1]!, unquote(m[2]!));
  });
  return { values, invalidLines };
}

function unquote(value: string): string {
  if (value.startsWith("'")) {
    const end = value.indexOf("'", 1);
    return end === -1 ? value.slice(1) : value.slice(1, end);
  }
  if (value.startsWith('"')) {
    let out = '';
    for (let i = 1; i < value.length; i++) {
      const c = value[i]!;
      if (c === '"') break;
      if (c === '\\' && i + 1 < value.length) {
        const next = value[++i]!;
        out += next === 'n' ? '\n' : next === 't' ? '\t' : next === 'r' ? '\r' : next;
      } else {
        out += c;
      }
    }
    return out;
  }
  // Unquoted: an inline comment starts at whitespace followed by #.
  return value.replace(/\s+#.*$/, '').trim();
}

/** A value as compose sees it: unset and empty are the same for `${VAR:?}` and `${VAR:-}`. */
export function nonEmpty(env: ReadonlyMap<string, string>, name: string): string | undefined {
  const v = env.get(name);
  return v === undefined || v === '' ? undefined : v;
}
