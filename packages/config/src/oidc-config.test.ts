import { describe, expect, it } from 'vitest';
import { loadConfig } from './index.js';

const oidc = { OIDC_ISSUER: 'https://id.example.com/realms/acme/', OIDC_CLIENT_ID: 'quarry', OIDC_CLIENT_SECRET: 's3cret' };

describe('OIDC settings', () => {
  it('are off by default, and password sign-in is on', () => {
    const config = loadConfig({});
    expect(config.auth.oidc).toBeUndefined();
    expect(config.auth.passwordSignIn).toBe(true);
  });

  it('parse issuer, scopes (openid always), domains and the group mapping', () => {
    const config = loadConfig({ ...oidc, OIDC_SCOPES: 'email,profile groups', OIDC_ALLOWED_DOMAINS: ' Example.com, @example.org ', OIDC_ADMIN_GROUP: 'quarry-admins', OIDC_DISPLAY_NAME: 'Acme SSO' });
    expect(config.auth.oidc).toEqual({
      issuer: 'https://id.example.com/realms/acme',
      clientId: 'quarry',
      clientSecret: 's3cret',
      displayName: 'Acme SSO',
      scopes: ['openid', 'email', 'profile', 'groups'],
      allowedDomains: ['example.com', 'example.org'],
      groupsClaim: 'groups',
      adminGroup: 'quarry-admins',
    });
  });

  it.each([
    [{ OIDC_ISSUER: oidc.OIDC_ISSUER }, /OIDC_CLIENT_ID is missing while OIDC_ISSUER is set/],
    [{ OIDC_ISSUER: oidc.OIDC_ISSUER, OIDC_CLIENT_ID: 'q' }, /OIDC_CLIENT_SECRET is missing/],
    [{ ...oidc, OIDC_ISSUER: 'not a url' }, /OIDC_ISSUER/],
    [{ ...oidc, OIDC_ALLOWED_DOMAINS: 'example.com,not a domain' }, /OIDC_ALLOWED_DOMAINS is invalid/],
    [{ PASSWORD_SIGNIN: 'off' }, /PASSWORD_SIGNIN is off but single sign-on is not configured/],
    [{ ...oidc, PASSWORD_SIGNIN: 'maybe' }, /PASSWORD_SIGNIN/],
  ])('%j is refused with the variable named', (env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('PASSWORD_SIGNIN=off with OIDC configured', () => {
    expect(loadConfig({ ...oidc, PASSWORD_SIGNIN: 'off' }).auth.passwordSignIn).toBe(false);
  });
});
