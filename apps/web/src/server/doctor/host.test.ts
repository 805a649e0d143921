/** The real host adapter, exercised on loopback only: binds and releases sockets, sends nothing. */
import { createServer, type Server } from 'node:net';
import { describe, expect, it } from 'vitest';
import { decodeProcAddress, parseProcNet, probePort, realHost } from './host.js';

function listen(host: string): Promise<{ server: Server; port: number }> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ host, port: 0 }, () => {
      const address = server.address();
      resolve({ server, port: typeof address === 'object' && address ? address.port : 0 });
    });
  });
}

describe('/proc/net parsing', () => {
  it('decodes IPv4, IPv6 and IPv4-mapped addresses', () => {
    expect(decodeProcAddress('0100007F')).toBe('127.0.0.1');
    expect(decodeProcAddress('00000000')).toBe('0.0.0.0');
    expect(decodeProcAddress('00000000000000000000000000000000')).toBe('::');
    expect(decodeProcAddress('00000000000000000000000001000000')).toBe('::1');
    expect(decodeProcAddress('0000000000000000FFFF00000100007F')).toBe('127.0.0.1');
    expect(decodeProcAddress('B80D0120000000000000000001000000')).toBe('2001:db8::1');
  });

  it('finds listeners on a port', () => {
    const table = [
      '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
      '   0: 0100007F:01BB 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1',
      '   1: 6766654D:01BB 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2 1',
      '   2: 0100007F:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 3 1',
      '   3: 0100007F:01BB 0100007F:D431 01 00000000:00000000 00:00000000 00000000     0        0 4 1',
    ].join('\n');
    expect(parseProcNet(table, 443, '0A')).toEqual(['127.0.0.1', '77.101.102.103']);
  });
});

describe('real host on loopback', () => {
  it('a bind test sees a taken port as in use and a released one as free', async () => {
    const { server, port } = await listen('127.0.0.1');
    try {
      expect(await probePort('127.0.0.1', port, 'tcp')).toBe('in-use');
      expect(await realHost.listeners(port, 'tcp')).toContain('127.0.0.1');
    } finally {
      await new Promise((r) => server.close(r));
    }
    expect(await probePort('127.0.0.1', port, 'tcp')).toBe('free');
    expect(await probePort('127.0.0.1', port, 'udp')).toMatch(/^(free|in-use)$/);
  });

  it('an address that is not on this host is reported as such (TEST-NET-1, never contacted)', async () => {
    expect(await probePort('192.0.2.1', 0, 'tcp')).toBe('not-local');
  });

  it('lists loopback among the interfaces', () => {
    expect(realHost.interfaces()).toContainEqual(expect.objectContaining({ address: '127.0.0.1', family: 'IPv4' }));
  });
});
