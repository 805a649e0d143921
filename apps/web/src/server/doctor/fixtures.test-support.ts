/** Shared fakes for the doctor's tests: a good env, a fake host, a fake resolver, online probes that must not run. */
import type { DockerRootFacts, InterfaceAddress, PortProbe, Protocol } from './checks.js';
import type { Host } from './host.js';
import type { OnlineProbes } from './online.js';
import type { Resolver } from './run.js';

/** Values shaped like `openssl rand` output (fixed, so failures are reproducible). */
export const GOOD_ENV: Record<string, string> = {
  POSTGRES_PASSWORD: '3f9c1e7a52b04d8e96a1c0f2d7b84e5a0c6f19d3b2e7a4c58d0f1b9e6a3c7d24',
  POSTGRES_APP_PASSWORD: '8b2d6f0a94c1e7355a0e2c9b7f14d6a3e8c05b9f1d2a7e46c3b8f0d5a91e6c27',
  AUTH_SECRET: 'q7Vn2xK9pL4mZ8rT1wY6bH3jF0sD5gA+uE9cR2tN8kM=',
  DOMAIN: 'quarry.acme-docs.net',
  CADDY_BIND_IP: '203.0.113.10',
  ACME_EMAIL: 'ops@acme-docs.net',
  HETZNER_API_TOKEN: 'Zq8Lr3Nw7Kp2Xv9Bt4Mc6Hd1Fj5Gs0Ya8Ue3Wi7Oo2Pp9Qq4Rr6Ss1Tt5Uu0Vv3W',
  ADMIN_EMAIL: 'admin@acme-docs.net',
};

export function envText(overrides: Record<string, string | undefined> = {}): string {
  const merged: Record<string, string | undefined> = { ...GOOD_ENV, ...overrides };
  return Object.entries(merged)
    .filter((e): e is [string, string] => e[1] !== undefined)
    .map(([k, v]) => `${k}=${v}`)
    .join('\n');
}

export interface FakeHostOptions {
  addresses?: InterfaceAddress[];
  probe?: (ip: string, port: number, protocol: Protocol) => PortProbe;
  listeners?: (port: number, protocol: Protocol) => string[];
  dockerRoot?: DockerRootFacts;
  mode?: number;
}

export function fakeHost(o: FakeHostOptions = {}): Host {
  return {
    interfaces: () =>
      o.addresses ?? [
        { name: 'lo', address: '127.0.0.1', family: 'IPv4' },
        { name: 'eth0', address: '203.0.113.10', family: 'IPv4' },
        { name: 'tailscale0', address: '100.101.102.103', family: 'IPv4' },
      ],
    probePort: async (ip, port, protocol) => (o.probe ? o.probe(ip, port, protocol) : 'free'),
    listeners: async (port, protocol) => (o.listeners ? o.listeners(port, protocol) : []),
    dockerRoot: async () => o.dockerRoot ?? { rootDir: '/var/lib/docker', via: 'docker info', source: '/dev/mapper/docker', deviceTypes: ['crypt', 'part', 'disk'] },
    fileMode: async () => o.mode ?? 0o100600,
  };
}

export function fakeResolver(a: Record<string, string[]>, aaaa: Record<string, string[]> = {}): Resolver {
  const lookup = (table: Record<string, string[]>) => async (name: string) => {
    const hit = table[name];
    if (!hit) throw Object.assign(new Error(`queryA ENOTFOUND ${name}`), { code: 'ENOTFOUND' });
    return hit;
  };
  return { resolve4: lookup(a), resolve6: async (name) => (await lookup(aaaa)(name).catch(() => [])) };
}

/** Online probes that fail the test if the doctor calls them without --online. */
export const forbiddenOnline: OnlineProbes = {
  hetznerZone: async () => {
    throw new Error('the Hetzner API must not be called without --online');
  },
  r2RoundTrip: async () => {
    throw new Error('R2 must not be called without --online');
  },
  oidcDiscovery: async () => {
    throw new Error('the OIDC issuer must not be read without --online');
  },
};
