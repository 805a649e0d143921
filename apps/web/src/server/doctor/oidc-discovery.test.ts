/**
 * `quarry doctor --online`'s OIDC probe against a real provider on 127.0.0.1 (oidc-provider, started
 * here): a good issuer passes; a wrong URL and an issuer that names itself differently fail with a fix.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestIdp, type TestIdp } from '../../../../../test/support/oidc-provider.js';
import { checkOidcDiscovery } from './checks.js';
import { fetchOidcDiscovery } from './online.js';

describe('doctor --online: the OIDC issuer', () => {
  let idp: TestIdp;
  beforeAll(async () => {
    idp = await startTestIdp({ redirectUris: ['http://127.0.0.1:9/api/auth/callback/oidc'] });
  });
  afterAll(() => idp.close());

  it('reads the discovery document and its keys, and passes', async () => {
    const facts = await fetchOidcDiscovery(idp.issuer);
    expect(facts.ok).toBe(true);
    if (facts.ok) {
      expect(facts.value.issuer).toBe(idp.issuer);
      expect(facts.value.jwksKeys).toBe(1);
      expect(facts.value.codeChallengeMethods).toContain('S256');
    }
    const result = checkOidcDiscovery(idp.issuer, ['openid', 'email', 'profile', 'groups'], facts);
    expect(result).toMatchObject({ status: 'ok' });
    expect(result.detail).toContain('1 signing key');
  });

  it('fails on a URL with no discovery document, and on an issuer that names itself differently', async () => {
    const missing = checkOidcDiscovery(`${idp.issuer}/nope`, ['openid'], await fetchOidcDiscovery(`${idp.issuer}/nope`));
    expect(missing.status).toBe('fail');
    expect(missing.detail).toMatch(/404/);
    expect(missing.fix).toContain('OIDC_ISSUER');
    // The same server under another name: the document's issuer is 127.0.0.1, ID tokens would not match.
    const other = idp.issuer.replace('127.0.0.1', 'localhost');
    const mismatch = checkOidcDiscovery(other, ['openid'], await fetchOidcDiscovery(other));
    expect(mismatch.status).toBe('fail');
    expect(mismatch.detail).toContain(`not ${other}`);
  });

  it('warns about scopes the provider does not list', async () => {
    const result = checkOidcDiscovery(idp.issuer, ['openid', 'offline_access_nope'], await fetchOidcDiscovery(idp.issuer));
    expect(result.status).toBe('warn');
    expect(result.detail).toContain('offline_access_nope');
  });
});
