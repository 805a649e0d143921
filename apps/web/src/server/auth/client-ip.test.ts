import { describe, expect, it } from 'vitest';
import { clientIp, createTrustedProxyList } from './client-ip.js';

describe('clientIp', () => {
  const trusted = createTrustedProxyList(['10.0.0.0/8', '172.16.0.0/12', '127.0.0.1']);

  it('believes X-Forwarded-For only from a trusted proxy', () => {
    expect(clientIp('203.0.113.9', '198.51.100.1', trusted)).toBe('203.0.113.9');
    expect(clientIp('172.18.0.4', '198.51.100.1', trusted)).toBe('198.51.100.1');
    expect(clientIp('::ffff:172.18.0.4', '198.51.100.1', trusted)).toBe('198.51.100.1');
  });

  it('takes the right-most untrusted hop, so a client cannot spoof its address', () => {
    expect(clientIp('10.0.0.2', '1.2.3.4, 198.51.100.7, 10.0.0.9', trusted)).toBe('198.51.100.7');
  });

  it('falls back to the peer when the header holds no address', () => {
    expect(clientIp('10.0.0.2', 'garbage', trusted)).toBe('10.0.0.2');
  });
});
