/**
 * A real OpenID Connect provider for the SSO tests: `oidc-provider` (the certified Node implementation)
 * on 127.0.0.1, port 0, with one confidential client, PKCE required, RS256 ID tokens from a key made
 * per run, and a plain login form of its own (no consent screen: a grant is given on login). Accounts
 * are a map the test edits — removing one is "the user was removed at the provider".
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';

export interface IdpAccount {
  email: string;
  email_verified: boolean;
  name: string;
  groups?: string[];
  password: string;
}

export interface TestIdp {
  issuer: string;
  clientId: string;
  clientSecret: string;
  accounts: Map<string, IdpAccount>;
  /** Logins the form accepted, in order (the test's proof the provider was used). */
  logins: string[];
  /** Set by a test: rewrites the next redirect back to Quarry (a forged `state`, say), then clears itself. */
  tamperNextRedirect?: (url: URL) => void;
  close(): Promise<void>;
}

const escape = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

function loginPage(uid: string, message?: string) {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Test IdP sign-in</title></head><body>
<main><h1>Test IdP</h1>${message ? `<p role="alert">${escape(message)}</p>` : ''}
<form method="post" action="/interaction/${escape(uid)}/login">
<label>Username <input name="login" autocomplete="username"></label>
<label>Password <input name="password" type="password" autocomplete="current-password"></label>
<button type="submit">Continue</button></form></main></body></html>`;
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > 16_384) throw new Error('form too large');
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

export async function startTestIdp(options: { redirectUris: string[] }): Promise<TestIdp> {
  const accounts = new Map<string, IdpAccount>();
  const logins: string[] = [];
  const clientId = 'quarry-test';
  const clientSecret = randomBytes(24).toString('base64url');
  // `provider` and `handler` are made once the port (the issuer) is known; no request arrives before.

  const server = createServer((req, res) => {
    void route(req, res).catch((err: unknown) => {
      res.statusCode = 500;
      res.end(err instanceof Error ? err.message : 'error');
    });
  });
  async function route(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://idp.invalid');
    const interaction = /^\/interaction\/([^/]+)(\/login)?$/.exec(url.pathname);
    const tamper = idp.tamperNextRedirect;
    if (tamper) {
      // The provider's redirect to a registered redirect URI passes through here on its way to the browser.
      const setHeader = res.setHeader.bind(res);
      res.setHeader = (name: string, value: number | string | readonly string[]) => {
        if (name.toLowerCase() === 'location' && typeof value === 'string' && options.redirectUris.some((r) => value.startsWith(r))) {
          const target = new URL(value);
          tamper(target);
          idp.tamperNextRedirect = undefined;
          return setHeader(name, target.toString());
        }
        return setHeader(name, value);
      };
    }
    if (!interaction) return handler(req, res);
    const details = await provider.interactionDetails(req, res);
    if (req.method === 'GET') {
      res.setHeader('content-type', 'text/html; charset=utf-8');
      return res.end(loginPage(details.uid));
    }
    const form = await readForm(req);
    const login = form.get('login') ?? '';
    const account = accounts.get(login);
    if (!account || account.password !== form.get('password')) {
      res.statusCode = 401;
      res.setHeader('content-type', 'text/html; charset=utf-8');
      return res.end(loginPage(details.uid, 'Unknown user or wrong password.'));
    }
    logins.push(login);
    await provider.interactionFinished(req, res, { login: { accountId: login } }, { mergeWithLastSubmission: false });
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = { ...privateKey.export({ format: 'jwk' }), use: 'sig', alg: 'RS256', kid: 'test-1' };

  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: options.redirectUris,
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_post',
      },
    ],
    jwks: { keys: [jwk] },
    cookies: { keys: [randomBytes(24).toString('base64url')] },
    pkce: { required: () => true },
    scopes: ['openid', 'email', 'profile', 'groups'],
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'], groups: ['groups'] },
    features: { devInteractions: { enabled: false } },
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
    // An account that is gone is gone at once: the provider refuses it even with a live provider session.
    async findAccount(_ctx: unknown, sub: string) {
      const account = accounts.get(sub);
      if (!account) return undefined;
      return {
        accountId: sub,
        claims: async () => ({ sub, email: account.email, email_verified: account.email_verified, name: account.name, groups: account.groups ?? [] }),
      };
    },
    // No consent screen: logging in grants the client what it asked for.
    async loadExistingGrant(ctx: { oidc: { client: { clientId: string }; session: { accountId: string }; provider: Provider } }) {
      const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
      grant.addOIDCScope('openid email profile groups');
      grant.addOIDCClaims(['email', 'email_verified', 'name', 'groups']);
      await grant.save();
      return grant;
    },
    ttl: { Session: 60, Interaction: 120, AuthorizationCode: 60, AccessToken: 120, IdToken: 120, Grant: 120 },
  });
  const handler = provider.callback();

  const idp: TestIdp = {
    issuer,
    clientId,
    clientSecret,
    accounts,
    logins,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return idp;
}
