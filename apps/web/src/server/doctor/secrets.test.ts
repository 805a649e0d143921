import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { judgeSecret } from './secrets.js';

describe('judgeSecret', () => {
  it('accepts what `openssl rand` produces', () => {
    for (let i = 0; i < 20; i++) {
      expect(judgeSecret(randomBytes(32).toString('hex'), 32)).toEqual({ ok: true });
      expect(judgeSecret(randomBytes(32).toString('base64'), 32)).toEqual({ ok: true });
      expect(judgeSecret(randomBytes(16).toString('hex'), 32)).toEqual({ ok: true });
    }
  });

  it.each([
    ['short', 'Zx9!kQ2#', /8 characters/],
    ['placeholder', 'changeme-changeme-changeme-changeme', /placeholder/],
    ['repetitive', 'abababababababababababababababababab', /bits/],
    ['one character', 'a'.repeat(64), /bits/],
    ['digits only', '1234567890123456789012345678901234', /bits/],
  ])('rejects a %s value', (_label, value, reason) => {
    const verdict = judgeSecret(value, 32);
    expect(verdict.ok).toBe(false);
    expect(verdict.reason).toMatch(reason);
  });
});
