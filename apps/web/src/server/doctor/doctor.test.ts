/**
 * `quarry doctor` end to end: a deliberately broken env against fakes (every
 * problem printed with its fix, exit 1), and a good test env against the real
 * loopback host (exit 0). DNS is always a fake: no real name is ever resolved.
 */
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { envText, fakeHost, fakeResolver, forbiddenOnline, GOOD_ENV } from './fixtures.test-support.js';
import { realHost } from './host.js';
import { doctorMain, formatReport } from './main.js';
import { runChecks, type DoctorDeps } from './run.js';

const repoDocker = new URL('../../../../../docker/', import.meta.url);
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A docker/ folder of our own: the real compose file, an .env.example, and the given .env. */
function stage(env: string, example = readFileSync(new URL('.env.example', repoDocker), 'utf8')): string {
  const dir = mkdtempSync(join(tmpdir(), 'quarry-doctor-'));
  dirs.push(dir);
  copyFileSync(new URL('docker-compose.prod.yml', repoDocker), join(dir, 'docker-compose.prod.yml'));
  writeFileSync(join(dir, '.env.example'), example);
  writeFileSync(join(dir, '.env'), env);
  chmodSync(join(dir, '.env'), 0o600);
  return join(dir, '.env');
}

const readText = (p: string) => readFile(p, 'utf8').catch(() => undefined);

async function doctor(argv: string[], deps: DoctorDeps) {
  const out: string[] = [];
  const code = await doctorMain(argv, deps, (s) => out.push(s));
  return { code, text: out.join('\n') };
}

describe('quarry doctor against a deliberately broken env', () => {
  it('prints each problem with its fix and exits non-zero', async () => {
    const copied = 'q7Vn2xK9pL4mZ8rT1wY6bH3jF0sD5gA+uE9cR2tN8kM=';
    const example = readFileSync(new URL('.env.example', repoDocker), 'utf8').replace(/^AUTH_SECRET=$/m, `AUTH_SECRET=${copied}`);
    const envPath = stage(
      envText({
        POSTGRES_PASSWORD: undefined, // missing secret
        AUTH_SECRET: copied, // copied from the example
        CADDY_BIND_IP: '198.51.100.7', // not on this host
        DOMAIN: 'quarry.acme-docs.net', // does not resolve
      }),
      example,
    );
    const { code, text } = await doctor(['--env', envPath], {
      readText,
      host: fakeHost(),
      resolver: fakeResolver({}),
      online: forbiddenOnline,
    });
    expect(code).toBe(1);
    expect(text).toContain('✖ POSTGRES_PASSWORD is set');
    expect(text).toContain('fix: set POSTGRES_PASSWORD in docker/.env (openssl rand -hex 32)');
    expect(text).toContain('✖ AUTH_SECRET is long and random — the value is copied from docker/.env.example');
    expect(text).toContain('fix: generate a new one: openssl rand -base64 32');
    expect(text).toContain('✖ CADDY_BIND_IP is an address of this host — 198.51.100.7 is not assigned to any interface');
    expect(text).toContain('fix: set CADDY_BIND_IP to one of: 203.0.113.10, 100.101.102.103');
    expect(text).toContain('✖ DOMAIN resolves to CADDY_BIND_IP — quarry.acme-docs.net does not resolve (ENOTFOUND)');
    expect(text).toContain('fix: create an A record quarry.acme-docs.net → 198.51.100.7');
    expect(text).toContain('- Hetzner token and R2 credentials work — not checked: run with --online');
    expect(text).toMatch(/\d+ problems \(✖\)/);
    // Every ✖ line is followed by its fix.
    const lines = text.split('\n');
    lines.forEach((l, i) => {
      if (l.trimStart().startsWith('✖')) expect(lines[i + 1]).toMatch(/^ {6}fix: \S/);
    });
  });

  it('reports a missing .env file with the command that creates it', async () => {
    const { code, text } = await doctor(['--env', '/nonexistent/quarry/.env'], { readText, host: fakeHost(), resolver: fakeResolver({}), online: forbiddenOnline });
    expect(code).toBe(1);
    expect(text).toContain('fix: cp /nonexistent/quarry/.env.example /nonexistent/quarry/.env');
  });

  it('rejects unknown options with usage (exit 2)', async () => {
    const { code, text } = await doctor(['--nope'], { readText, host: fakeHost(), resolver: fakeResolver({}), online: forbiddenOnline });
    expect(code).toBe(2);
    expect(text).toContain('Usage: quarry doctor');
  });
});

describe('quarry doctor with a good env', () => {
  it('exits 0 against fakes, including --online with fake providers', async () => {
    const envPath = stage(envText({ R2_ACCOUNT_ID: 'a'.repeat(32), R2_ACCESS_KEY_ID: 'b'.repeat(32), R2_SECRET_ACCESS_KEY: 'c'.repeat(64), R2_BUCKET: 'quarry-docs' }));
    const calls: string[] = [];
    const { code, text } = await doctor(['--env', envPath, '--online'], {
      readText,
      host: fakeHost({ listeners: (port) => (port === 443 ? ['100.101.102.103'] : []) }),
      resolver: fakeResolver({ [GOOD_ENV.DOMAIN!]: [GOOD_ENV.CADDY_BIND_IP!] }),
      online: {
        hetznerZone: async (_token, domain) => (calls.push(`hetzner ${domain}`), { ok: true, value: { zone: 'acme-docs.net', id: 7, a: [GOOD_ENV.CADDY_BIND_IP!] } }),
        r2RoundTrip: async (t) => (calls.push(`r2 ${t.endpoint} ${t.bucket}`), { ok: true, value: { bytes: 1024 } }),
        oidcDiscovery: async (issuer) => (calls.push(`oidc ${issuer}`), { ok: false, error: 'not configured in this env' }),
      },
    });
    expect(text).not.toContain('✖');
    expect(code).toBe(0);
    expect(calls).toEqual(['hetzner quarry.acme-docs.net', `r2 https://${'a'.repeat(32)}.r2.cloudflarestorage.com quarry-docs`]);
    expect(text).toContain('100.101.102.103:443 in use by another service (e.g. Tailscale) — fine, Caddy binds only 203.0.113.10');
  });

  it('runs against the real loopback host (CADDY_BIND_IP=127.0.0.1, unprivileged ports) and exits 0', async () => {
    const envPath = stage(envText({ CADDY_BIND_IP: '127.0.0.1', DOMAIN: 'quarry.test', CADDY_TLS_MODE: 'internal', HETZNER_API_TOKEN: 'unused-with-tls-internal' }));
    // Two ports the kernel just handed out and we released: free unless raced.
    const free = await Promise.all(
      [0, 1].map(
        () =>
          new Promise<number>((resolve) => {
            const s = createServer().listen({ host: '127.0.0.1', port: 0 }, () => {
              const a = s.address();
              s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
            });
          }),
      ),
    );
    const deps: DoctorDeps = { readText, host: realHost, resolver: fakeResolver({ 'quarry.test': ['127.0.0.1'] }), online: forbiddenOnline };
    const options = {
      envPath,
      composePath: join(envPath, '..', 'docker-compose.prod.yml'),
      examplePath: join(envPath, '..', '.env.example'),
      online: false,
      ports: [
        { port: free[0]!, protocol: 'tcp' as const },
        { port: free[1]!, protocol: 'udp' as const },
      ],
    };
    const good = formatReport('loopback', await runChecks(options, deps));
    expect(good.failures, good.text).toBe(0);
    expect(good.text).toContain('✔ CADDY_BIND_IP is an address of this host — 127.0.0.1 on lo');
    expect(good.text).toContain(`✔ 127.0.0.1:${free[0]}/tcp is free for Caddy — bind test passed`);
    expect(good.text).toMatch(/[✔!] Docker's data root is on an encrypted \(LUKS\) device/);

    // Now take one of the ports: the same run fails on exactly that line.
    const taken = createServer();
    await new Promise<void>((r) => taken.listen({ host: '127.0.0.1', port: free[0] }, () => r()));
    try {
      const bad = formatReport('loopback', await runChecks(options, deps));
      expect(bad.failures).toBe(1);
      expect(bad.text).toContain(`✖ 127.0.0.1:${free[0]}/tcp is free for Caddy — something already listens on 127.0.0.1:${free[0]}/tcp`);
    } finally {
      await new Promise((r) => taken.close(r));
    }
  });
});
