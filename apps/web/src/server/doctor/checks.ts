/**
 * The doctor's checks as pure functions over facts gathered elsewhere (the .env
 * file, the compose file, the host, DNS), so tests can feed each one fakes.
 * Every warn/fail carries exactly one fix.
 */
import { isIP, isIPv4 } from 'node:net';
import { ConfigError, loadConfig } from '@quarry/config';
import { interpolate, InterpolationError, type ComposeModel } from './compose.js';
import { nonEmpty } from './env-file.js';
import { judgeSecret } from './secrets.js';
import { fail, ok, skip, warn, type CheckResult } from './types.js';

type Env = ReadonlyMap<string, string>;

const HOSTNAME = /^(?=.{1,253}$)(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))+$/i;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const RESERVED_DOMAIN = /(^|\.)(example\.(com|net|org)|test|invalid|localhost|local)$/i;

// ------------------------------------------------------------------ the file

export function checkEnvFile(path: string, invalidLines: number[], mode: number | undefined): CheckResult[] {
  const out: CheckResult[] = [];
  if (invalidLines.length > 0) {
    out.push(fail(`${path} parses`, `line(s) ${invalidLines.join(', ')} are not NAME=value`, `fix or comment out line ${invalidLines[0]} (compose reads NAME=value lines only)`));
  } else {
    out.push(ok(`${path} parses`));
  }
  if (mode !== undefined && (mode & 0o077) !== 0) {
    out.push(warn(`${path} is private`, `mode ${(mode & 0o777).toString(8)}: other users on this host can read the secrets`, `chmod 600 ${path}`));
  } else if (mode !== undefined) {
    out.push(ok(`${path} is private`, `mode ${(mode & 0o777).toString(8)}`));
  }
  return out;
}

// ------------------------------------------------------------ compose vs env

/** Every `${VAR:?…}` of the compose file is set; every .env variable is one compose reads. */
export function checkComposeAgreement(env: Env, compose: ComposeModel): CheckResult[] {
  const out: CheckResult[] = [];
  const required = compose.variables.filter((v) => v.required);
  const missing = required.filter((v) => nonEmpty(env, v.name) === undefined);
  if (missing.length === 0) {
    out.push(ok('every variable the compose file requires is set', required.map((v) => v.name).join(', ')));
  } else {
    for (const v of missing) {
      out.push(fail(`${v.name} is set`, `docker-compose.prod.yml requires it (\${${v.name}:?…}) and it is empty or missing`, v.message?.trim() || `set ${v.name} in the .env file`));
    }
  }
  const read = new Set(compose.variables.map((v) => v.name));
  const unknown = [...env.keys()].filter((k) => !read.has(k));
  for (const name of unknown) {
    const close = [...read].find((r) => editDistance(r, name) <= 2);
    out.push(warn(`${name} is used`, 'docker-compose.prod.yml never reads it, so it has no effect', close ? `did you mean ${close}? rename it` : `remove ${name} from the .env file`));
  }
  return out;
}

function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
  }
  return d[a.length]![b.length]!;
}

// ------------------------------------------------------------ well-formed

export function checkWellFormed(env: Env): CheckResult[] {
  const out: CheckResult[] = [];
  const domain = nonEmpty(env, 'DOMAIN');
  if (domain !== undefined) {
    if (/^https?:\/\//i.test(domain) || domain.includes('/')) {
      out.push(fail('DOMAIN is a host name', `"${domain}" contains a scheme or path`, `set DOMAIN=${domain.replace(/^https?:\/\//i, '').split('/')[0]} (no https://, no path)`));
    } else if (isIP(domain)) {
      out.push(fail('DOMAIN is a host name', `"${domain}" is an IP address; certificates are issued for names`, 'set DOMAIN to the DNS name users open, e.g. quarry.example.com'));
    } else if (!HOSTNAME.test(domain)) {
      out.push(fail('DOMAIN is a host name', `"${domain}" is not a valid DNS name`, 'set DOMAIN to a fully qualified name such as quarry.example.com'));
    } else if (RESERVED_DOMAIN.test(domain)) {
      out.push(warn('DOMAIN is a host name', `"${domain}" is a reserved test name: no public certificate can be issued for it`, 'use your own domain in production'));
    } else {
      out.push(ok('DOMAIN is a host name', domain));
    }
  }

  const ip = nonEmpty(env, 'CADDY_BIND_IP');
  if (ip !== undefined) {
    if (!isIPv4(ip)) {
      out.push(fail('CADDY_BIND_IP is an IPv4 address', `"${ip}" is not an IPv4 address`, 'set CADDY_BIND_IP to the public IPv4 address of this host (ip -4 addr)'));
    } else if (ip === '0.0.0.0') {
      out.push(fail('CADDY_BIND_IP is an IPv4 address', '0.0.0.0 binds every address, taking :443 from Tailscale and others', 'set CADDY_BIND_IP to the one public IPv4 address DOMAIN points at'));
    } else {
      out.push(ok('CADDY_BIND_IP is an IPv4 address', ip));
    }
  }

  for (const name of ['ACME_EMAIL', 'ADMIN_EMAIL']) {
    const v = nonEmpty(env, name);
    if (v === undefined) continue;
    if (!EMAIL.test(v)) out.push(fail(`${name} is an e-mail address`, `"${v}" is not an e-mail address`, `set ${name}=you@your-domain`));
    else out.push(ok(`${name} is an e-mail address`, v));
  }

  const tlsMode = nonEmpty(env, 'CADDY_TLS_MODE') ?? 'dns_hetzner';
  if (tlsMode !== 'dns_hetzner' && tlsMode !== 'internal') {
    out.push(fail('CADDY_TLS_MODE is known', `"${tlsMode}" matches no snippet in docker/Caddyfile`, 'leave CADDY_TLS_MODE empty (dns_hetzner) or set it to internal'));
  } else if (tlsMode === 'internal') {
    out.push(warn('CADDY_TLS_MODE is known', 'internal: Caddy issues certificates from its own CA, which browsers do not trust', 'leave CADDY_TLS_MODE empty in production (ACME DNS-01 via Hetzner)'));
  } else {
    out.push(ok('CADDY_TLS_MODE is known', 'dns_hetzner (ACME DNS-01)'));
  }

  const token = nonEmpty(env, 'HETZNER_API_TOKEN');
  if (token !== undefined && tlsMode === 'dns_hetzner' && !/^[A-Za-z0-9]{64}$/.test(token)) {
    out.push(fail('HETZNER_API_TOKEN looks like a Hetzner Cloud API token', `${token.length} characters; Hetzner Console tokens are 64 letters and digits`, 'create one in Hetzner Console → your project → Security → API tokens (Read & Write) and paste it whole'));
  } else if (token !== undefined && tlsMode === 'dns_hetzner') {
    out.push(ok('HETZNER_API_TOKEN looks like a Hetzner Cloud API token'));
  }

  const r2 = ['R2_ACCOUNT_ID', 'R2_ACCESS_KEY_ID', 'R2_SECRET_ACCESS_KEY', 'R2_BUCKET'];
  const r2Set = r2.filter((n) => nonEmpty(env, n) !== undefined);
  if (r2Set.length > 0 && r2Set.length < r2.length) {
    const missing = r2.filter((n) => !r2Set.includes(n));
    out.push(fail('R2 storage is configured completely', `set: ${r2Set.join(', ')}; missing: ${missing.join(', ')}`, `set ${missing.join(', ')} as well, or empty all four to keep files on the web_data volume`));
  } else if (r2Set.length === r2.length) {
    const shapes: Array<[string, RegExp, string]> = [
      ['R2_ACCOUNT_ID', /^[0-9a-f]{32}$/, '32 hex characters'],
      ['R2_ACCESS_KEY_ID', /^[0-9a-f]{32}$/, '32 hex characters'],
      ['R2_SECRET_ACCESS_KEY', /^[0-9a-f]{64}$/, '64 hex characters'],
      ['R2_BUCKET', /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/, 'lower-case letters, digits and hyphens'],
    ];
    const bad = shapes.filter(([n, re]) => !re.test(env.get(n)!));
    if (bad.length > 0) {
      out.push(warn('R2 storage is configured completely', bad.map(([n, , shape]) => `${n} is not ${shape}`).join('; '), 'copy the values again from Cloudflare dashboard → R2 → Manage API tokens (they are shown once)'));
    } else {
      out.push(ok('R2 storage is configured completely', `bucket ${env.get('R2_BUCKET')}`));
    }
  } else {
    out.push(ok('file storage', 'R2 not configured: files live on the web_data volume (back it up with docker/backup.sh)'));
  }
  return out;
}

// ------------------------------------------------------------ secrets

const SECRETS: Array<{ name: string; minLength: number; generate: string }> = [
  { name: 'AUTH_SECRET', minLength: 32, generate: 'openssl rand -base64 32' },
  { name: 'POSTGRES_PASSWORD', minLength: 32, generate: 'openssl rand -hex 32' },
  { name: 'POSTGRES_APP_PASSWORD', minLength: 32, generate: 'openssl rand -hex 32' },
];

export function checkSecrets(env: Env, example: Env | undefined): CheckResult[] {
  const out: CheckResult[] = [];
  const exampleValues = new Set([...(example?.values() ?? [])].filter((v) => v.length >= 8));
  for (const { name, minLength, generate } of SECRETS) {
    const value = nonEmpty(env, name);
    const title = `${name} is long and random`;
    if (value === undefined) continue; // reported by the compose agreement check
    if (exampleValues.has(value)) {
      out.push(fail(title, 'the value is copied from docker/.env.example', `generate a new one: ${generate}`));
      continue;
    }
    const verdict = judgeSecret(value, minLength);
    if (!verdict.ok) {
      out.push(fail(title, verdict.reason!, `generate a new one: ${generate}`));
      continue;
    }
    if ((name === 'POSTGRES_PASSWORD' || name === 'POSTGRES_APP_PASSWORD') && !/^[A-Za-z0-9._~-]+$/.test(value)) {
      out.push(fail(title, 'contains characters (/ + = @ : …) that break DATABASE_URL, which compose builds from it', `generate a URL-safe one: ${generate}`));
      continue;
    }
    out.push(ok(title, `${value.length} characters`));
  }
  for (const name of ['HETZNER_API_TOKEN', 'R2_SECRET_ACCESS_KEY', 'OPENAI_API_KEY']) {
    const value = nonEmpty(env, name);
    if (value !== undefined && exampleValues.has(value)) {
      out.push(fail(`${name} is your own`, 'the value is copied from docker/.env.example', `paste the real ${name} from its provider`));
    }
  }
  const names = SECRETS.map((s) => s.name);
  for (let i = 0; i < names.length; i++) {
    for (let j = i + 1; j < names.length; j++) {
      const a = nonEmpty(env, names[i]!);
      if (a !== undefined && a === nonEmpty(env, names[j]!)) {
        out.push(fail('secrets are not reused', `${names[i]} and ${names[j]} are the same value`, 'generate each separately (openssl rand …)'));
      }
    }
  }
  const appUser = nonEmpty(env, 'POSTGRES_APP_USER') ?? 'quarry_web';
  if (appUser === (nonEmpty(env, 'POSTGRES_USER') ?? 'quarry')) {
    out.push(fail('web serves as its own database role', `POSTGRES_APP_USER is the owner (${appUser}): web could rewrite the audit log`, 'leave POSTGRES_APP_USER empty (quarry_web) or pick another name'));
  } else if (!/^[a-z_][a-z0-9_]{0,62}$/.test(appUser)) {
    out.push(fail('POSTGRES_APP_USER is a plain role name', `"${appUser}"`, 'use lower-case letters, digits and _ (or leave it empty: quarry_web)'));
  }
  return out;
}

// ------------------------------------------------------------ what the app will see

const STAND_INS: Record<string, string> = {
  DOMAIN: 'missing.invalid',
  ADMIN_EMAIL: 'missing@missing.invalid',
  ACME_EMAIL: 'missing@missing.invalid',
  AUTH_SECRET: 'missing-missing-missing-missing-missing',
  POSTGRES_PASSWORD: 'missing',
  POSTGRES_APP_PASSWORD: 'missing',
  CADDY_BIND_IP: '192.0.2.1',
};

/**
 * Interpolates the web service's environment from the compose file with the
 * .env values and runs it through the app's own config validation, then
 * checks that PUBLIC_URL names DOMAIN over https.
 */
export function checkAppConfig(env: Env, compose: ComposeModel): CheckResult[] {
  const template = compose.environments.web;
  if (!template) return [fail('web service found in the compose file', 'no services.web.environment', 'use the docker-compose.prod.yml shipped with Quarry')];
  // Required variables that are missing were reported above; stand-ins let the
  // rest of the configuration be validated in the same run.
  const missing = compose.variables.filter((v) => v.required && nonEmpty(env, v.name) === undefined).map((v) => v.name);
  const filled = new Map(env);
  for (const name of missing) filled.set(name, STAND_INS[name] ?? 'missing');
  const appEnv: Record<string, string> = {};
  try {
    for (const [k, v] of Object.entries(template)) appEnv[k] = interpolate(v, filled);
  } catch (error) {
    if (error instanceof InterpolationError) return [skip('web accepts its configuration', `not checked: ${error.variable} is missing (see above)`)];
    throw error;
  }
  const out: CheckResult[] = [];
  try {
    const config = loadConfig(appEnv);
    const summary = `storage ${config.storage.driver}, sign-up ${config.auth.signupMode}, AI: embeddings ${config.ai.embeddingModel ? 'OpenAI-compatible' : 'offline'}, answers ${config.ai.chatModel ? 'generated' : 'extractive'}`;
    out.push(missing.length > 0 ? ok('web accepts the rest of its configuration', `${summary}, once ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} set`) : ok('web accepts its configuration', summary));
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    if (!missing.includes(error.variable)) out.push(fail('web accepts its configuration', `${error.variable} ${error.problem}`, error.fix));
  }
  const domain = nonEmpty(env, 'DOMAIN');
  const publicUrl = appEnv.PUBLIC_URL;
  if (domain !== undefined && publicUrl !== undefined) {
    let host = '';
    let protocol = '';
    try {
      ({ hostname: host, protocol } = new URL(publicUrl));
    } catch {
      /* reported below */
    }
    if (host.toLowerCase() === domain.toLowerCase() && protocol === 'https:') {
      out.push(ok('PUBLIC_URL matches DOMAIN', publicUrl));
    } else {
      out.push(fail('PUBLIC_URL matches DOMAIN', `web gets PUBLIC_URL=${publicUrl} but Caddy serves https://${domain}`, `set PUBLIC_URL: https://\${DOMAIN} in docker-compose.prod.yml (sign-in links and cookies depend on it)`));
    }
  }
  const stray = nonEmpty(env, 'PUBLIC_URL');
  if (stray !== undefined && domain !== undefined && stray.replace(/\/+$/, '') !== `https://${domain}`) {
    out.push(warn('PUBLIC_URL in .env agrees with DOMAIN', `PUBLIC_URL=${stray} but the stack serves https://${domain}`, 'remove PUBLIC_URL from the .env file: compose derives it from DOMAIN'));
  }
  return out;
}

// ------------------------------------------------------------ host network

export interface InterfaceAddress {
  name: string;
  address: string;
  family: 'IPv4' | 'IPv6';
}

/** Docker's and libvirt's bridges: addresses no DNS record should name. */
const VIRTUAL_INTERFACE = /^(docker\d*|br-[0-9a-f]+|veth.*|virbr\d*)$/;

export function checkBindAddress(ip: string | undefined, addresses: InterfaceAddress[]): CheckResult {
  const title = 'CADDY_BIND_IP is an address of this host';
  if (ip === undefined || !isIPv4(ip) || ip === '0.0.0.0') return skip(title, 'CADDY_BIND_IP is not a usable IPv4 address (see above)');
  const match = addresses.find((a) => a.address === ip);
  if (match) return ok(title, `${ip} on ${match.name}`);
  const v4 = addresses.filter((a) => a.family === 'IPv4' && !a.address.startsWith('127.') && !VIRTUAL_INTERFACE.test(a.name)).map((a) => `${a.address} (${a.name})`);
  return fail(title, `${ip} is not assigned to any interface; this host has ${v4.join(', ') || 'no non-loopback IPv4 address'}`, `set CADDY_BIND_IP to one of: ${v4.map((a) => a.split(' ')[0]).join(', ') || 'the public address shown by ip -4 addr'}`);
}

export type PortProbe = 'free' | 'in-use' | 'no-permission' | 'not-local' | 'error';
export type Protocol = 'tcp' | 'udp';

export interface PortFacts {
  port: number;
  protocol: Protocol;
  /** Result of briefly binding CADDY_BIND_IP:port. */
  probe: PortProbe;
  /** Local addresses with a socket bound (listening, for TCP) on this port, from /proc/net. */
  listeners: string[];
}

const WILDCARD = new Set(['0.0.0.0', '::']);

export function checkPort(ip: string, facts: PortFacts): CheckResult {
  const label = `${ip}:${facts.port}/${facts.protocol}`;
  const title = `${label} is free for Caddy`;
  const conflicting = facts.listeners.filter((a) => a === ip || WILDCARD.has(a));
  const elsewhere = facts.listeners.filter((a) => !conflicting.includes(a));
  const note = elsewhere.length > 0 ? `; ${elsewhere.map((a) => `${a.includes(':') ? `[${a}]` : a}:${facts.port}`).join(', ')} in use by another service (e.g. Tailscale) — fine, Caddy binds only ${ip}` : '';
  if (facts.probe === 'not-local') return skip(title, `${ip} is not on this host (see above)`);
  if (facts.probe === 'in-use' || conflicting.length > 0) {
    const who = conflicting.includes(ip) ? `something already listens on ${label}` : `something listens on ${conflicting.map((a) => (a.includes(':') ? `[${a}]` : a)).join(', ')}:${facts.port} (every address), which blocks ${label}`;
    return fail(title, `${who}${note}`, `find it with: ss -lpn${facts.protocol === 'tcp' ? 't' : 'u'} 'sport = :${facts.port}' — stop it, or bind it to another address (if it is this stack's caddy, already running, ignore this)`);
  }
  if (facts.probe === 'free') return ok(title, `bind test passed${note}`);
  if (facts.probe === 'no-permission') return ok(title, `no listener in /proc/net (bind test needs root for ports < 1024)${note}`);
  return warn(title, `could not test the port${note}`, `check by hand: ss -lpn${facts.protocol === 'tcp' ? 't' : 'u'} 'sport = :${facts.port}'`);
}

// ------------------------------------------------------------ DNS

export interface DnsAnswers {
  a: string[] | Error;
  aaaa: string[] | Error;
}

export function checkDns(domain: string | undefined, ip: string | undefined, answers: DnsAnswers | undefined): CheckResult[] {
  const title = 'DOMAIN resolves to CADDY_BIND_IP';
  if (domain === undefined || ip === undefined || answers === undefined) return [skip(title, 'DOMAIN or CADDY_BIND_IP is not set')];
  const a = Array.isArray(answers.a) ? answers.a : [];
  const aaaa = Array.isArray(answers.aaaa) ? answers.aaaa : [];
  const record = `an A record ${domain} → ${ip} at your DNS provider (Hetzner Console → DNS → the zone)`;
  const out: CheckResult[] = [];
  if (a.length === 0) {
    const why = answers.a instanceof Error ? errorCode(answers.a) : 'no A record';
    out.push(fail(title, `${domain} does not resolve (${why})`, `create ${record}; new records can take a few minutes to appear`));
  } else if (!a.includes(ip)) {
    out.push(fail(title, `${domain} resolves to ${a.join(', ')}, not ${ip}`, `change the A record to ${ip}, or set CADDY_BIND_IP to the address it names`));
  } else if (a.length > 1) {
    out.push(warn(title, `${domain} resolves to ${a.join(', ')}: some clients will try the other address(es)`, `remove the A records other than ${ip}`));
  } else {
    out.push(ok(title, `A ${ip}`));
  }
  if (aaaa.length > 0) {
    out.push(warn('no AAAA record Caddy cannot answer', `${domain} has AAAA ${aaaa.join(', ')}, but Caddy listens on ${ip} (IPv4) only`, `delete the AAAA record of ${domain}, or IPv6 clients will fail to connect`));
  }
  return out;
}

function errorCode(error: Error): string {
  const code = (error as NodeJS.ErrnoException).code;
  return code ?? error.message;
}

// ------------------------------------------------------------ encryption at rest

export interface DockerRootFacts {
  /** Docker's data root, from `docker info` or the default. */
  rootDir: string;
  /** How rootDir was found: "docker info" or "default". */
  via: string;
  /** The block device that holds rootDir (findmnt SOURCE), if found. */
  source?: string;
  /** TYPE of that device and every device below it (lsblk -s), e.g. ["lvm", "crypt", "part", "disk"]. */
  deviceTypes?: string[];
  /** dm uuids of the device chain (/sys/block/dm-*\/dm/uuid), e.g. "CRYPT-LUKS2-…". */
  dmUuids?: string[];
  error?: string;
}

export function checkDockerRoot(facts: DockerRootFacts): CheckResult {
  const title = "Docker's data root is on an encrypted (LUKS) device";
  const encrypted = facts.deviceTypes?.includes('crypt') || facts.dmUuids?.some((u) => u.startsWith('CRYPT-'));
  const where = `${facts.rootDir} (from ${facts.via})${facts.source ? ` on ${facts.source}` : ''}`;
  if (encrypted) return ok(title, `${where}: dm-crypt`);
  const found = facts.error ? `could not tell: ${facts.error}` : `${where}: ${facts.deviceTypes?.length ? `device chain ${facts.deviceTypes.join(' → ')}, no dm-crypt` : 'no dm-crypt device found'}; the database and files would sit unencrypted on disk`;
  return warn(title, found, "put Docker's data root on a LUKS volume: docs/runbooks/luks.md");
}

// ------------------------------------------------------------ online

export type OnlineFacts<T> = { ok: true; value: T } | { ok: false; status?: number; error: string };

export interface HetznerZone {
  zone: string;
  id: string | number;
  /** A record values for DOMAIN in the zone, when listed. */
  a?: string[];
}

export function checkHetzner(domain: string, ip: string | undefined, facts: OnlineFacts<HetznerZone | undefined>): CheckResult {
  const title = 'HETZNER_API_TOKEN can see the zone of DOMAIN';
  if (!facts.ok) {
    if (facts.status === 401 || facts.status === 403) {
      return fail(title, `Hetzner Cloud API answered ${facts.status}: the token is invalid or revoked`, 'create a new token in Hetzner Console → your project → Security → API tokens (Read & Write)');
    }
    return fail(title, `Hetzner Cloud API: ${facts.error}`, 'retry; if it persists, check outbound HTTPS from this host');
  }
  if (!facts.value) {
    return fail(title, `no zone for ${domain} in the token's project`, 'create the token in the Hetzner Console project that holds the zone (zones still on the old DNS Console must be migrated first)');
  }
  const { zone, id, a } = facts.value;
  if (a && ip && !a.includes(ip)) {
    return warn(title, `zone ${zone} (id ${id}); its A record for ${domain} is ${a.join(', ') || 'missing'}`, `set the A record of ${domain} to ${ip} in Hetzner Console → DNS → ${zone}`);
  }
  return ok(title, `zone ${zone} (id ${id}); write permission is only proven by the first certificate`);
}

export function checkR2(bucket: string, facts: OnlineFacts<{ bytes: number }>): CheckResult {
  const title = 'R2 credentials can write, read and delete an object';
  if (facts.ok) return ok(title, `probe object of ${facts.value.bytes} bytes round-tripped in bucket ${bucket}`);
  return fail(title, `bucket ${bucket}: ${facts.error}`, 'check R2_ACCOUNT_ID/R2_BUCKET and that the API token has Object Read & Write on this bucket');
}

/** What `--online` read from the OIDC issuer (online.ts fetchOidcDiscovery). */
export interface OidcDiscovery {
  url: string;
  issuer?: string;
  authorizationEndpoint?: string;
  tokenEndpoint?: string;
  jwksUri?: string;
  jwksKeys?: number;
  codeChallengeMethods?: string[];
  signingAlgs?: string[];
  scopes?: string[];
}

/**
 * The issuer's discovery document as Quarry's sign-in will use it: the issuer it names must be
 * OIDC_ISSUER exactly (ID tokens are checked against it), with an authorization and a token endpoint,
 * signing keys, and S256 PKCE.
 */
export function checkOidcDiscovery(issuer: string, scopes: string[], facts: OnlineFacts<OidcDiscovery>): CheckResult {
  const title = "OIDC_ISSUER's discovery document is usable for sign-in";
  const fixUrl = 'set OIDC_ISSUER to the issuer URL your provider shows for this client (without /.well-known/openid-configuration)';
  if (!facts.ok) return fail(title, `${issuer}/.well-known/openid-configuration: ${facts.error}`, fixUrl);
  const d = facts.value;
  const wanted = issuer.replace(/\/+$/, '');
  if (d.issuer === undefined || d.issuer.replace(/\/+$/, '') !== wanted) {
    return fail(title, `the document names issuer ${d.issuer ?? '(none)'}, not ${wanted}; ID tokens would be refused`, fixUrl);
  }
  const missing = [
    d.authorizationEndpoint ? undefined : 'authorization_endpoint',
    d.tokenEndpoint ? undefined : 'token_endpoint',
    d.jwksUri ? undefined : 'jwks_uri',
    d.signingAlgs?.length ? undefined : 'id_token_signing_alg_values_supported',
  ].filter(Boolean);
  if (missing.length) return fail(title, `the document lacks ${missing.join(', ')}`, 'use an OpenID Connect provider (plain OAuth 2.0 is not enough)');
  if (!d.jwksKeys) return fail(title, `no signing keys at ${d.jwksUri}`, "check the provider's key configuration");
  if (d.codeChallengeMethods && !d.codeChallengeMethods.includes('S256')) {
    return fail(title, `PKCE S256 is not offered (code_challenge_methods_supported: ${d.codeChallengeMethods.join(', ') || 'none'})`, 'enable PKCE (S256) for this client at the provider');
  }
  const unknownScopes = d.scopes ? scopes.filter((s) => !d.scopes!.includes(s)) : [];
  if (unknownScopes.length) return warn(title, `issuer ${d.issuer}; scopes not listed by the provider: ${unknownScopes.join(', ')}`, 'check OIDC_SCOPES against scopes_supported');
  return ok(title, `issuer ${d.issuer}, ${d.jwksKeys} signing key${d.jwksKeys === 1 ? '' : 's'}, PKCE S256${d.codeChallengeMethods ? '' : ' (not advertised; better-auth sends it anyway)'}`);
}
