/**
 * The client's address: the socket peer, or — only when that peer is a
 * trusted proxy (TRUSTED_PROXIES) — the right-most untrusted X-Forwarded-For
 * entry. Anyone can write X-Forwarded-For; only our proxy's word counts.
 */
import { BlockList, isIP } from 'node:net';

export function createTrustedProxyList(entries: string[]): BlockList {
  const list = new BlockList();
  for (const entry of entries) {
    const [address, prefix] = entry.split('/');
    const family = isIP(address ?? '') === 6 ? 'ipv6' : 'ipv4';
    if (!address || isIP(address) === 0) continue;
    if (prefix !== undefined) list.addSubnet(address, Number(prefix), family);
    else list.addAddress(address, family);
  }
  return list;
}

function normalize(address: string): string {
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}

function isTrusted(list: BlockList, address: string): boolean {
  const a = normalize(address);
  const family = isIP(a);
  if (family === 0) return false;
  return list.check(a, family === 6 ? 'ipv6' : 'ipv4');
}

export function clientIp(peer: string | undefined, forwardedFor: string | undefined, trusted: BlockList): string {
  const direct = normalize(peer ?? 'unknown');
  if (!peer || !forwardedFor || !isTrusted(trusted, peer)) return direct;
  const hops = forwardedFor
    .split(',')
    .map((h) => normalize(h.trim()))
    .filter((h) => isIP(h) !== 0);
  for (let i = hops.length - 1; i >= 0; i--) {
    if (!isTrusted(trusted, hops[i]!)) return hops[i]!;
  }
  return hops[0] ?? direct;
}
