/**
 * Facts about the real host, gathered read-only: interfaces, port bind tests
 * (a socket opened and closed at once), /proc/net listeners, where Docker keeps
 * its data and whether that device is dm-crypt. Tests replace all of it.
 */
import { execFile } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { readFile, readdir, realpath, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import { networkInterfaces } from 'node:os';
import { basename } from 'node:path';
import type { DockerRootFacts, InterfaceAddress, PortProbe, Protocol } from './checks.js';

export interface Host {
  interfaces(): InterfaceAddress[];
  probePort(ip: string, port: number, protocol: Protocol): Promise<PortProbe>;
  listeners(port: number, protocol: Protocol): Promise<string[]>;
  dockerRoot(): Promise<DockerRootFacts>;
  fileMode(path: string): Promise<number | undefined>;
}

export const realHost: Host = {
  interfaces() {
    const out: InterfaceAddress[] = [];
    for (const [name, list] of Object.entries(networkInterfaces())) {
      for (const a of list ?? []) out.push({ name, address: a.address, family: a.family === 'IPv6' ? 'IPv6' : 'IPv4' });
    }
    return out;
  },
  probePort,
  listeners: procListeners,
  dockerRoot,
  async fileMode(path) {
    try {
      return (await stat(path)).mode;
    } catch {
      return undefined;
    }
  },
};

function classify(error: NodeJS.ErrnoException): PortProbe {
  switch (error.code) {
    case 'EADDRINUSE':
      return 'in-use';
    case 'EACCES':
    case 'EPERM':
      return 'no-permission';
    case 'EADDRNOTAVAIL':
      return 'not-local';
    default:
      return 'error';
  }
}

/** Binds ip:port for an instant and releases it. Never sends a packet. */
export function probePort(ip: string, port: number, protocol: Protocol): Promise<PortProbe> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve('error'), 3000);
    const done = (r: PortProbe) => {
      clearTimeout(timer);
      resolve(r);
    };
    if (protocol === 'tcp') {
      const server = createServer();
      server.once('error', (e: NodeJS.ErrnoException) => done(classify(e)));
      server.listen({ host: ip, port, exclusive: true }, () => server.close(() => done('free')));
    } else {
      const socket = createSocket({ type: 'udp4', reuseAddr: false });
      socket.once('error', (e: NodeJS.ErrnoException) => {
        socket.close();
        done(classify(e));
      });
      socket.bind({ address: ip, port, exclusive: true }, () => socket.close(() => done('free')));
    }
  });
}

/** Decodes /proc/net/{tcp,tcp6,udp,udp6} local addresses (little-endian 32-bit words). */
export function decodeProcAddress(hex: string): string {
  const words = hex.match(/.{8}/g) ?? [];
  const bytes = words.flatMap((w) => [w.slice(6, 8), w.slice(4, 6), w.slice(2, 4), w.slice(0, 2)].map((b) => parseInt(b, 16)));
  if (bytes.length === 4) return bytes.join('.');
  // IPv4-mapped ::ffff:a.b.c.d
  if (bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) return bytes.slice(12).join('.');
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i]! << 8) | bytes[i + 1]!);
  // Compress the longest run (≥ 2) of zero groups, as inet_ntop does.
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) [bestStart, bestLen] = [i, j - i];
    i = j;
  }
  const join = (g: number[]) => g.map((n) => n.toString(16)).join(':');
  if (bestLen < 2) return join(groups);
  return `${join(groups.slice(0, bestStart))}::${join(groups.slice(bestStart + bestLen))}`;
}

/** Parses a /proc/net table: local addresses bound to `port` in the given state (hex). */
export function parseProcNet(text: string, port: number, state: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n').slice(1)) {
    const cols = line.trim().split(/\s+/);
    if (cols.length < 4) continue;
    const [addr, p] = cols[1]!.split(':');
    if (parseInt(p ?? '', 16) === port && cols[3] === state) out.push(decodeProcAddress(addr!));
  }
  return out;
}

async function procListeners(port: number, protocol: Protocol): Promise<string[]> {
  // TCP: 0A = LISTEN. UDP: bound sockets show 07 (unconnected).
  const state = protocol === 'tcp' ? '0A' : '07';
  const out = new Set<string>();
  for (const file of [`/proc/net/${protocol}`, `/proc/net/${protocol}6`]) {
    const text = await readFile(file, 'utf8').catch(() => '');
    for (const a of parseProcNet(text, port, state)) out.add(a);
  }
  return [...out];
}

function run(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: 10_000, encoding: 'utf8' }, (error, stdout) => (error ? reject(error) : resolve(stdout.trim())));
  });
}

async function dockerRoot(): Promise<DockerRootFacts> {
  let rootDir = '/var/lib/docker';
  let via = 'default';
  try {
    const out = await run('docker', ['info', '--format', '{{.DockerRootDir}}']);
    if (out.startsWith('/')) {
      rootDir = out;
      via = 'docker info';
    }
  } catch {
    /* docker not installed or not running yet: the default is what it will use */
  }
  const facts: DockerRootFacts = { rootDir, via };
  try {
    // The directory may not exist before Docker's first start: test the closest existing parent.
    let target = rootDir;
    for (let i = 0; i < 10 && target !== '/'; i++) {
      if (await stat(target).then(() => true, () => false)) break;
      target = target.replace(/\/[^/]+\/?$/, '') || '/';
    }
    const source = (await run('findmnt', ['-n', '-o', 'SOURCE', '--target', target])).split('\n')[0]!.replace(/\[.*\]$/, '');
    facts.source = source;
    if (source.startsWith('/dev/')) {
      facts.deviceTypes = (await run('lsblk', ['-s', '-n', '-r', '-o', 'TYPE', source]).catch(() => ''))
        .split('\n')
        .map((s) => s.trim())
        .filter(Boolean);
      facts.dmUuids = await dmUuids(source);
    }
  } catch (error) {
    facts.error = error instanceof Error ? error.message.split('\n')[0] : String(error);
  }
  return facts;
}

/** dm uuids of a device and everything below it, following /sys/block/<dev>/slaves (bounded depth). */
async function dmUuids(device: string): Promise<string[]> {
  const out: string[] = [];
  const visit = async (name: string, depth: number) => {
    if (depth > 8) return;
    const uuid = await readFile(`/sys/block/${name}/dm/uuid`, 'utf8').catch(() => '');
    if (uuid.trim()) out.push(uuid.trim());
    const slaves = await readdir(`/sys/block/${name}/slaves`).catch(() => [] as string[]);
    for (const s of slaves) await visit(s, depth + 1);
  };
  const real = await realpath(device).catch(() => device);
  await visit(basename(real), 0);
  return out;
}
