/**
 * Static checks of the production stack files. Runs in `npm test`, needs no
 * Docker engine. Keeps docker/docker-compose.prod.yml, docker/.env.example,
 * docker/Caddyfile, the Dockerfiles and the app's config module in step.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { configVariables } from '@quarry/config';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const read = (p: string) => readFileSync(join(root, p), 'utf8');

const composeText = read('docker/docker-compose.prod.yml');
const compose = parse(composeText, { merge: true }) as {
  services: Record<string, Service>;
  networks: Record<string, { internal?: boolean } | null>;
  volumes: Record<string, unknown>;
};
type Service = {
  image?: string;
  command?: string[];
  build?: { context: string; dockerfile?: string; args?: Record<string, string> };
  ports?: string[];
  networks?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
  restart?: string;
  read_only?: boolean;
  cap_drop?: string[];
  security_opt?: string[];
  logging?: { options?: Record<string, string> };
};
const envExample = read('docker/.env.example');

/** Variables a compose string interpolates: ${VAR}, ${VAR:-x}, ${VAR:?x}, nested, $VAR; not $$ escapes. */
export function interpolatedVariables(text: string): Set<string> {
  const names = new Set<string>();
  const unescaped = text.replace(/\$\$/g, '');
  for (const m of unescaped.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)/g)) names.add(m[1]!);
  for (const m of unescaped.matchAll(/\$([A-Za-z_][A-Za-z0-9_]*)/g)) names.add(m[1]!);
  return names;
}

/** Variables that stop compose when missing: ${VAR:?message} or ${VAR?message}. */
function requiredVariables(text: string): Set<string> {
  const names = new Set<string>();
  for (const m of text.replace(/\$\$/g, '').matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*):?\?/g)) names.add(m[1]!);
  return names;
}

/** Every string value in the parsed compose document (comments excluded). */
function strings(node: unknown, out: string[] = []): string[] {
  if (typeof node === 'string') out.push(node);
  else if (Array.isArray(node)) for (const v of node) strings(v, out);
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      out.push(k);
      strings(v, out);
    }
  }
  return out;
}

/** NAME=value lines of .env.example, with the comment block just above each. */
function documented(text: string): Map<string, string> {
  const docs = new Map<string, string>();
  let comment: string[] = [];
  for (const line of text.split('\n')) {
    const assign = /^([A-Z][A-Z0-9_]*)=/.exec(line);
    if (assign) {
      docs.set(assign[1]!, comment.join('\n'));
    } else if (line.startsWith('#')) {
      if (line.startsWith('##########')) comment = [];
      else comment.push(line);
    } else if (line.trim() === '') {
      comment = [];
    }
  }
  return docs;
}

// The running stack is proven by `npm run test:stack` (test/stack/run.sh), which
// needs a Docker engine and several minutes; CI runs it after `npm test`.
console.info(
  '[quarry tests] docker stack: static checks only here; `npm run test:stack` brings the real compose stack up (CI runs it).',
);

const composeVars = interpolatedVariables(strings(compose).join('\n'));
const docs = documented(envExample);

describe('docker/.env.example documents exactly what the compose file reads', () => {
  it('finds variables on both sides', () => {
    expect(composeVars.size).toBeGreaterThan(10);
    expect(docs.size).toBeGreaterThan(10);
  });

  it('documents every variable the compose file reads', () => {
    const undocumented = [...composeVars].filter((v) => !docs.has(v)).sort();
    expect(undocumented, 'read by docker-compose.prod.yml but missing from docker/.env.example').toEqual([]);
  });

  it('documents no variable the compose file ignores', () => {
    const unused = [...docs.keys()].filter((v) => !composeVars.has(v)).sort();
    expect(unused, 'in docker/.env.example but never read by docker-compose.prod.yml').toEqual([]);
  });

  it('explains every variable in a comment', () => {
    const bare = [...docs].filter(([, comment]) => comment.trim() === '').map(([v]) => v);
    expect(bare, 'documented without an explanation').toEqual([]);
  });

  it('marks each variable compose requires (${VAR:?…}) as REQUIRED', () => {
    const required = requiredVariables(composeText);
    expect(required.size).toBeGreaterThan(3);
    const unmarked = [...required].filter((v) => !/REQUIRED/.test(docs.get(v) ?? '')).sort();
    expect(unmarked).toEqual([]);
  });

  it('ships no values for secrets and only documentation addresses', () => {
    for (const secret of [
      'POSTGRES_PASSWORD',
      'AUTH_SECRET',
      'HETZNER_API_TOKEN',
      'R2_SECRET_ACCESS_KEY',
      'OPENAI_API_KEY',
    ]) {
      expect(envExample).toMatch(new RegExp(`^${secret}=$`, 'm'));
    }
    const ips = [...envExample.matchAll(/\b(\d{1,3}(?:\.\d{1,3}){3})\b/g)].map((m) => m[1]!);
    expect(ips.filter((ip) => !ip.startsWith('203.0.113.') && ip !== '0.0.0.0')).toEqual([]);
  });
});

describe('the compose file passes the app only variables it knows', () => {
  it('every web and migrate environment key is a variable of @quarry/config', () => {
    for (const name of ['web', 'migrate']) {
      const keys = Object.keys(compose.services[name]!.environment ?? {});
      const unknown = keys.filter((k) => !configVariables.includes(k));
      expect(unknown, `${name} environment keys that packages/config does not read`).toEqual([]);
    }
  });

  it('every variable the Caddyfile reads is in the caddy environment', () => {
    const caddyfile = read('docker/Caddyfile');
    const used = new Set([...caddyfile.matchAll(/\{(?:\$|env\.)([A-Z][A-Z0-9_]*)/g)].map((m) => m[1]!));
    expect(used.size).toBeGreaterThan(2);
    const env = Object.keys(compose.services.caddy!.environment ?? {});
    expect([...used].filter((v) => !env.includes(v))).toEqual([]);
  });
});

describe('the compose file keeps the promised shape', () => {
  const { postgres, migrate, web, caddy } = compose.services as Record<string, Service>;

  it('publishes no port for postgres or web, and caddy only on ${CADDY_BIND_IP}', () => {
    expect(postgres!.ports).toBeUndefined();
    expect(web!.ports).toBeUndefined();
    expect(migrate!.ports).toBeUndefined();
    expect(caddy!.ports).toHaveLength(3);
    for (const p of caddy!.ports!) expect(p).toMatch(/^\$\{CADDY_BIND_IP(:\?[^}]*)?\}:(80:80|443:443|443:443\/udp)$/);
  });

  it('isolates postgres on the internal network', () => {
    expect(compose.networks.internal?.internal).toBe(true);
    expect(postgres!.networks).toEqual(['internal']);
    expect(migrate!.networks).toEqual(['internal']);
    expect(web!.networks?.sort()).toEqual(['internal', 'public']);
    expect(caddy!.networks).toEqual(['public']);
  });

  it('starts in health order', () => {
    expect(web!.depends_on?.postgres?.condition).toBe('service_healthy');
    expect(caddy!.depends_on?.web?.condition).toBe('service_healthy');
    expect(postgres!.healthcheck?.test.join(' ')).toMatch(/pg_isready -h 127\.0\.0\.1/);
    expect(web!.healthcheck?.test.join(' ')).toMatch(/^CMD node -e fetch\('http:\/\/127\.0\.0\.1:2000\/api\/health'/);
  });

  it('migrates as the owner in a one-shot service, then serves as the app role (G1)', () => {
    expect(web!.depends_on?.migrate?.condition).toBe('service_completed_successfully');
    expect(migrate!.depends_on?.postgres?.condition).toBe('service_healthy');
    expect(migrate!.command).toEqual(['node', 'apps/web/dist/server/cli.js', 'migrate']);
    expect(migrate!.image).toBe(web!.image);
    expect(migrate!.environment?.DATABASE_URL).toMatch(/^postgres:\/\/\$\{POSTGRES_USER:-quarry\}:\$\{POSTGRES_PASSWORD:\?/);
    expect(migrate!.environment?.DATABASE_APP_ROLE).toBe('${POSTGRES_APP_USER:-quarry_web}');
    expect(migrate!.environment?.DATABASE_APP_PASSWORD).toMatch(/^\$\{POSTGRES_APP_PASSWORD:\?/);
    expect(migrate!.environment?.AUTH_SECRET, 'migrate needs no AUTH_SECRET').toBeUndefined();
    expect(web!.environment?.DATABASE_URL).toMatch(/^postgres:\/\/\$\{POSTGRES_APP_USER:-quarry_web\}:\$\{POSTGRES_APP_PASSWORD:\?/);
    const webText = JSON.stringify(web);
    expect(webText, "the owner's password never reaches web").not.toMatch(/POSTGRES_PASSWORD|POSTGRES_USER\b/);
  });

  it('hardens every service', () => {
    for (const [name, s] of Object.entries(compose.services)) {
      // The one-shot migrate service must not be restarted after it exits 0.
      expect(s.restart, name).toBe(name === 'migrate' ? 'no' : 'unless-stopped');
      expect(s.cap_drop, name).toEqual(['ALL']);
      expect(s.security_opt, name).toContain('no-new-privileges:true');
      expect(s.read_only, name).toBe(true);
      expect(s.logging?.options?.['max-size'], name).toBeTruthy();
    }
  });

  it('keeps data in named volumes', () => {
    expect(Object.keys(compose.volumes).sort()).toEqual(['caddy_config', 'caddy_data', 'postgres_data', 'web_data']);
    expect(web!.volumes).toContain('web_data:/data');
    expect(caddy!.volumes).toContain('./Caddyfile:/etc/caddy/Caddyfile:ro');
  });
});

describe('pinned versions agree across files', () => {
  const defaultOf = (name: string) => new RegExp(`\\$\\{${name}:-([^}]+)\\}`).exec(composeText)?.[1];

  it('NODE_IMAGE default is the same in compose and the Dockerfile', () => {
    const arg = /^ARG NODE_IMAGE=(\S+)$/m.exec(read('Dockerfile'))?.[1];
    expect(arg).toMatch(/^node:24\.\d+\.\d+-trixie-slim$/);
    expect(defaultOf('NODE_IMAGE')).toBe(arg);
  });

  it('CADDY_VERSION default is the same in compose and docker/caddy/Dockerfile, never latest', () => {
    const arg = /^ARG CADDY_VERSION=(\S+)$/m.exec(read('docker/caddy/Dockerfile'))?.[1];
    expect(arg).toMatch(/^\d+\.\d+\.\d+$/);
    expect(defaultOf('CADDY_VERSION')).toBe(arg);
    expect(read('docker/caddy/Dockerfile')).toMatch(/caddy-dns\/hetzner\/v2@\$\{HETZNER_MODULE_VERSION\}/);
  });
});
