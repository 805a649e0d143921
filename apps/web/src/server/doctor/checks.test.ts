import { describe, expect, it } from 'vitest';
import {
  checkAppConfig,
  checkBindAddress,
  checkComposeAgreement,
  checkDns,
  checkDockerRoot,
  checkEnvFile,
  checkHetzner,
  checkPort,
  checkR2,
  checkSecrets,
  checkWellFormed,
} from './checks.js';
import { composeVariables, type ComposeModel } from './compose.js';
import { GOOD_ENV } from './fixtures.test-support.js';

const env = (o: Record<string, string | undefined> = {}) =>
  new Map(Object.entries({ ...GOOD_ENV, ...o }).filter((e): e is [string, string] => e[1] !== undefined));

const compose: ComposeModel = {
  variables: composeVariables(
    '${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD (openssl rand -hex 32)} ${AUTH_SECRET:?set AUTH_SECRET (openssl rand -base64 32)} ${DOMAIN:?set DOMAIN} ${CADDY_BIND_IP:?set CADDY_BIND_IP} ${ACME_EMAIL:?x} ${HETZNER_API_TOKEN:?x} ${ADMIN_EMAIL:?x} ${CADDY_TLS_MODE:-dns_hetzner} ${R2_ACCOUNT_ID:-} ${R2_ACCESS_KEY_ID:-} ${R2_SECRET_ACCESS_KEY:-} ${R2_BUCKET:-} ${SIGNUP_MODE:-invite} ${MAX_UPLOAD_MB:-100}',
  ),
  environments: {
    web: {
      NODE_ENV: 'production',
      PUBLIC_URL: 'https://${DOMAIN:?set DOMAIN}',
      DATABASE_URL: 'postgres://quarry:${POSTGRES_PASSWORD:?x}@postgres:5432/quarry',
      AUTH_SECRET: '${AUTH_SECRET:?x}',
      ADMIN_EMAIL: '${ADMIN_EMAIL:?x}',
      SIGNUP_MODE: '${SIGNUP_MODE:-invite}',
      MAX_UPLOAD_MB: '${MAX_UPLOAD_MB:-100}',
      R2_ACCOUNT_ID: '${R2_ACCOUNT_ID:-}',
      R2_ACCESS_KEY_ID: '${R2_ACCESS_KEY_ID:-}',
      R2_SECRET_ACCESS_KEY: '${R2_SECRET_ACCESS_KEY:-}',
      R2_BUCKET: '${R2_BUCKET:-}',
    },
  },
};

const statuses = (rs: { status: string; title: string }[]) => rs.map((r) => `${r.status} ${r.title}`);
const failing = <T extends { status: string }>(rs: T[]) => rs.filter((r) => r.status === 'fail');

describe('the .env file itself', () => {
  it('flags unparsable lines and a world-readable file', () => {
    const rs = checkEnvFile('docker/.env', [7], 0o100644);
    expect(rs[0]).toMatchObject({ status: 'fail', fix: expect.stringContaining('line 7') });
    expect(rs[1]).toMatchObject({ status: 'warn', fix: 'chmod 600 docker/.env' });
    expect(statuses(checkEnvFile('docker/.env', [], 0o100600))).toEqual(['ok docker/.env parses', 'ok docker/.env is private']);
  });
});

describe('compose and .env agree', () => {
  it('passes a complete env', () => {
    expect(failing(checkComposeAgreement(env(), compose))).toEqual([]);
  });

  it('names each missing required variable with compose’s own hint', () => {
    const rs = failing(checkComposeAgreement(env({ AUTH_SECRET: '', DOMAIN: undefined }), compose));
    expect(rs.map((r) => r.title)).toEqual(['AUTH_SECRET is set', 'DOMAIN is set']);
    expect(rs[0]!.fix).toBe('set AUTH_SECRET (openssl rand -base64 32)');
  });

  it('warns about a variable compose never reads, suggesting the likely name', () => {
    const rs = checkComposeAgreement(env({ AUTH_SECRT: 'x' }), compose);
    expect(rs.find((r) => r.title === 'AUTH_SECRT is used')).toMatchObject({ status: 'warn', fix: 'did you mean AUTH_SECRET? rename it' });
  });
});

describe('well-formed values', () => {
  it('accepts the good env', () => {
    expect(failing(checkWellFormed(env()))).toEqual([]);
  });

  it.each([
    [{ DOMAIN: 'https://quarry.acme-docs.net/' }, 'DOMAIN is a host name', /set DOMAIN=quarry\.acme-docs\.net/],
    [{ DOMAIN: '203.0.113.10' }, 'DOMAIN is a host name', /DNS name/],
    [{ CADDY_BIND_IP: '0.0.0.0' }, 'CADDY_BIND_IP is an IPv4 address', /one public IPv4/],
    [{ CADDY_BIND_IP: 'my-vps' }, 'CADDY_BIND_IP is an IPv4 address', /ip -4 addr/],
    [{ ACME_EMAIL: 'ops' }, 'ACME_EMAIL is an e-mail address', /ACME_EMAIL=/],
    [{ CADDY_TLS_MODE: 'acme' }, 'CADDY_TLS_MODE is known', /internal/],
    [{ HETZNER_API_TOKEN: 'abc' }, 'HETZNER_API_TOKEN looks like a Hetzner Cloud API token', /Security → API tokens/],
    [{ R2_BUCKET: 'docs', R2_ACCOUNT_ID: 'a'.repeat(32) }, 'R2 storage is configured completely', /R2_ACCESS_KEY_ID, R2_SECRET_ACCESS_KEY/],
  ])('fails %o', (override, title, fix) => {
    const r = checkWellFormed(env(override)).find((x) => x.title === title);
    expect(r?.status).toBe('fail');
    expect(r?.fix).toMatch(fix);
  });

  it('warns about test-only settings', () => {
    const rs = checkWellFormed(env({ DOMAIN: 'quarry.test', CADDY_TLS_MODE: 'internal', HETZNER_API_TOKEN: 'unused' }));
    expect(rs.filter((r) => r.status === 'warn').map((r) => r.title)).toEqual(['DOMAIN is a host name', 'CADDY_TLS_MODE is known']);
    expect(failing(rs)).toEqual([]);
  });
});

describe('secrets', () => {
  const example = new Map([['AUTH_SECRET', 'q7Vn2xK9pL4mZ8rT1wY6bH3jF0sD5gA+uE9cR2tN8kM=']]);

  it('passes generated secrets', () => {
    expect(statuses(checkSecrets(env(), undefined))).toEqual([
      'ok AUTH_SECRET is long and random',
      'ok POSTGRES_PASSWORD is long and random',
      'ok POSTGRES_APP_PASSWORD is long and random',
    ]);
  });

  it('fails a secret copied from .env.example', () => {
    const r = checkSecrets(env(), example)[0]!;
    expect(r).toMatchObject({ status: 'fail', detail: 'the value is copied from docker/.env.example', fix: 'generate a new one: openssl rand -base64 32' });
  });

  it('fails short, placeholder and URL-breaking secrets, and reuse', () => {
    const rs = checkSecrets(env({ AUTH_SECRET: 'short', POSTGRES_PASSWORD: 'Zq8Lr3Nw7Kp2/Xv9Bt4Mc6Hd1Fj5Gs0Ya8Ue3Wi7Oo2P+' }), undefined);
    expect(rs.map((r) => [r.status, r.detail])).toEqual([
      ['fail', '5 characters, needs at least 32'],
      ['fail', expect.stringContaining('break DATABASE_URL')],
      ['ok', '64 characters'],
    ]);
    const same = '3f9c1e7a52b04d8e96a1c0f2d7b84e5a0c6f19d3b2e7a4c58d0f1b9e6a3c7d24';
    expect(checkSecrets(env({ AUTH_SECRET: same }), undefined).at(-1)).toMatchObject({ status: 'fail', title: 'secrets are not reused' });
    expect(checkSecrets(env({ POSTGRES_APP_PASSWORD: same }), undefined).at(-1)).toMatchObject({
      status: 'fail',
      title: 'secrets are not reused',
      detail: 'POSTGRES_PASSWORD and POSTGRES_APP_PASSWORD are the same value',
    });
  });

  it('fails an app role that is the owner (G1): web would serve as the owner', () => {
    expect(checkSecrets(env({ POSTGRES_APP_USER: 'quarry' }), undefined).at(-1)).toMatchObject({ status: 'fail', title: 'web serves as its own database role' });
    expect(checkSecrets(env({ POSTGRES_USER: 'owner', POSTGRES_APP_USER: 'owner' }), undefined).at(-1)).toMatchObject({ status: 'fail' });
    expect(checkSecrets(env({ POSTGRES_APP_USER: 'Web-Role' }), undefined).at(-1)).toMatchObject({ status: 'fail', title: 'POSTGRES_APP_USER is a plain role name' });
  });
});

describe('what web will see', () => {
  it('accepts the good env and PUBLIC_URL derived from DOMAIN', () => {
    expect(statuses(checkAppConfig(env(), compose))).toEqual(['ok web accepts its configuration', 'ok PUBLIC_URL matches DOMAIN']);
  });

  it('reports the app’s own validation error with its fix', () => {
    const r = checkAppConfig(env({ SIGNUP_MODE: 'everyone' }), compose)[0]!;
    expect(r).toMatchObject({ status: 'fail', fix: 'use one of open, invite, closed' });
    expect(r.detail).toMatch(/^SIGNUP_MODE/);
  });

  it('fails when the compose file points PUBLIC_URL elsewhere', () => {
    const drifted = { ...compose, environments: { web: { ...compose.environments.web, PUBLIC_URL: 'http://localhost:2000' } } };
    const r = checkAppConfig(env(), drifted).find((x) => x.title === 'PUBLIC_URL matches DOMAIN');
    expect(r).toMatchObject({ status: 'fail', detail: expect.stringContaining('but Caddy serves https://quarry.acme-docs.net') });
  });

  it('warns about a stray PUBLIC_URL in .env', () => {
    const r = checkAppConfig(env({ PUBLIC_URL: 'https://old.acme-docs.net' }), compose).at(-1);
    expect(r).toMatchObject({ status: 'warn', fix: expect.stringContaining('remove PUBLIC_URL') });
  });
});

describe('bind address and ports', () => {
  const addresses = [
    { name: 'lo', address: '127.0.0.1', family: 'IPv4' as const },
    { name: 'eth0', address: '203.0.113.10', family: 'IPv4' as const },
  ];

  it('accepts an address of this host and lists the others when it is not', () => {
    expect(checkBindAddress('203.0.113.10', addresses)).toMatchObject({ status: 'ok', detail: '203.0.113.10 on eth0' });
    expect(checkBindAddress('198.51.100.7', addresses)).toMatchObject({ status: 'fail', fix: 'set CADDY_BIND_IP to one of: 203.0.113.10' });
  });

  it('accepts a free port and says that :443 on another address is fine', () => {
    const r = checkPort('203.0.113.10', { port: 443, protocol: 'tcp', probe: 'free', listeners: ['100.101.102.103'] });
    expect(r.status).toBe('ok');
    expect(r.detail).toContain('100.101.102.103:443 in use by another service (e.g. Tailscale) — fine, Caddy binds only 203.0.113.10');
  });

  it('fails a port taken on the bind address or on every address', () => {
    expect(checkPort('203.0.113.10', { port: 80, protocol: 'tcp', probe: 'in-use', listeners: ['203.0.113.10'] })).toMatchObject({
      status: 'fail',
      fix: expect.stringContaining("ss -lpnt 'sport = :80'"),
    });
    const wildcard = checkPort('203.0.113.10', { port: 443, protocol: 'udp', probe: 'no-permission', listeners: ['::'] });
    expect(wildcard).toMatchObject({ status: 'fail', detail: expect.stringContaining('[::]:443 (every address)') });
  });

  it('falls back to /proc/net when binding needs root', () => {
    expect(checkPort('203.0.113.10', { port: 80, protocol: 'tcp', probe: 'no-permission', listeners: [] })).toMatchObject({
      status: 'ok',
      detail: expect.stringContaining('needs root'),
    });
  });
});

describe('DNS', () => {
  const enotfound = Object.assign(new Error('queryA ENOTFOUND'), { code: 'ENOTFOUND' });

  it('passes one A record with the bind address', () => {
    expect(checkDns('q.acme-docs.net', '203.0.113.10', { a: ['203.0.113.10'], aaaa: [] })).toEqual([{ status: 'ok', title: 'DOMAIN resolves to CADDY_BIND_IP', detail: 'A 203.0.113.10' }]);
  });

  it('fails a name that does not resolve or points elsewhere', () => {
    expect(checkDns('q.acme-docs.net', '203.0.113.10', { a: enotfound, aaaa: [] })[0]).toMatchObject({ status: 'fail', detail: 'q.acme-docs.net does not resolve (ENOTFOUND)', fix: expect.stringContaining('create an A record q.acme-docs.net → 203.0.113.10') });
    expect(checkDns('q.acme-docs.net', '203.0.113.10', { a: ['198.51.100.7'], aaaa: [] })[0]).toMatchObject({ status: 'fail', fix: expect.stringContaining('change the A record to 203.0.113.10') });
  });

  it('warns about extra A records and an AAAA record Caddy does not listen on', () => {
    const rs = checkDns('q.acme-docs.net', '203.0.113.10', { a: ['203.0.113.10', '198.51.100.7'], aaaa: ['2001:db8::1'] });
    expect(rs.map((r) => r.status)).toEqual(['warn', 'warn']);
    expect(rs[1]!.fix).toContain('delete the AAAA record');
  });
});

describe('encryption at rest', () => {
  it('accepts dm-crypt found by lsblk or by the dm uuid', () => {
    expect(checkDockerRoot({ rootDir: '/var/lib/docker', via: 'docker info', source: '/dev/mapper/vg-docker', deviceTypes: ['lvm', 'crypt', 'part', 'disk'] }).status).toBe('ok');
    expect(checkDockerRoot({ rootDir: '/srv/docker', via: 'docker info', source: '/dev/dm-0', dmUuids: ['CRYPT-LUKS2-0123-docker'] }).status).toBe('ok');
  });

  it('warns with the runbook when the device is not encrypted or unknown', () => {
    const r = checkDockerRoot({ rootDir: '/var/lib/docker', via: 'default', source: '/dev/sda1', deviceTypes: ['part', 'disk'] });
    expect(r).toMatchObject({ status: 'warn', detail: expect.stringContaining('part → disk') });
    expect(r.fix).toContain('docs/runbooks/luks.md');
    expect(checkDockerRoot({ rootDir: '/var/lib/docker', via: 'default', error: 'findmnt: not found' }).status).toBe('warn');
  });
});

describe('online checks (facts injected)', () => {
  it('Hetzner: zone visible, token rejected, zone missing, A record elsewhere', () => {
    expect(checkHetzner('q.acme-docs.net', '203.0.113.10', { ok: true, value: { zone: 'acme-docs.net', id: 42, a: ['203.0.113.10'] } }).status).toBe('ok');
    expect(checkHetzner('q.acme-docs.net', '203.0.113.10', { ok: false, status: 401, error: 'HTTP 401' })).toMatchObject({ status: 'fail', detail: expect.stringContaining('invalid or revoked') });
    expect(checkHetzner('q.acme-docs.net', '203.0.113.10', { ok: true, value: undefined })).toMatchObject({ status: 'fail', detail: 'no zone for q.acme-docs.net in the token\'s project' });
    expect(checkHetzner('q.acme-docs.net', '203.0.113.10', { ok: true, value: { zone: 'acme-docs.net', id: 42, a: ['198.51.100.7'] } }).status).toBe('warn');
  });

  it('R2: round trip passes or names the failing step', () => {
    expect(checkR2('docs', { ok: true, value: { bytes: 1024 } }).status).toBe('ok');
    expect(checkR2('docs', { ok: false, status: 403, error: 'write failed: AccessDenied' })).toMatchObject({ status: 'fail', detail: 'bucket docs: write failed: AccessDenied' });
  });
});
