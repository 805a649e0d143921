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
      workspaceGroups: [],
    });
  });

  it('parse the workspace group mapping: group=workspace-id:role, by commas or lines', () => {
    const ws = '3F2A0C1E-5B7D-4E8F-9A0B-1C2D3E4F5A6B';
    const config = loadConfig({ ...oidc, OIDC_WORKSPACE_GROUPS: `Eng Team=${ws}:editor,\n sales = ${ws} : viewer ,` });
    expect(config.auth.oidc?.workspaceGroups).toEqual([
      { group: 'Eng Team', workspaceId: ws.toLowerCase(), role: 'editor' },
      { group: 'sales', workspaceId: ws.toLowerCase(), role: 'viewer' },
    ]);
  });

  it.each([
    [{ OIDC_ISSUER: oidc.OIDC_ISSUER }, /OIDC_CLIENT_ID is missing while OIDC_ISSUER is set/],
    [{ OIDC_ISSUER: oidc.OIDC_ISSUER, OIDC_CLIENT_ID: 'q' }, /OIDC_CLIENT_SECRET is missing/],
    [{ ...oidc, OIDC_ISSUER: 'not a url' }, /OIDC_ISSUER/],
    [{ ...oidc, OIDC_ALLOWED_DOMAINS: 'example.com,not a domain' }, /OIDC_ALLOWED_DOMAINS is invalid/],
    [{ PASSWORD_SIGNIN: 'off' }, /PASSWORD_SIGNIN is off but single sign-on is not configured/],
    [{ ...oidc, PASSWORD_SIGNIN: 'maybe' }, /PASSWORD_SIGNIN/],
    [{ ...oidc, OIDC_WORKSPACE_GROUPS: 'eng:editor' }, /OIDC_WORKSPACE_GROUPS has an entry that is not group=workspace-id:role/],
    [{ ...oidc, OIDC_WORKSPACE_GROUPS: 'eng=Engineering:editor' }, /OIDC_WORKSPACE_GROUPS names "Engineering", which is not a workspace id/],
    [{ ...oidc, OIDC_WORKSPACE_GROUPS: 'eng=3f2a0c1e-5b7d-4e8f-9a0b-1c2d3e4f5a6b:admin' }, /OIDC_WORKSPACE_GROUPS gives the role "admin"/],
  ])('%j is refused with the variable named', (env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('PASSWORD_SIGNIN=off with OIDC configured', () => {
    expect(loadConfig({ ...oidc, PASSWORD_SIGNIN: 'off' }).auth.passwordSignIn).toBe(false);
  });
});
