/**
 * Single sign-on through one OpenID Connect provider, on better-auth's own generic OAuth plugin.
 *
 * better-auth does the protocol: discovery, PKCE (S256), `state` bound to a signed cookie and a
 * database row, an ID-token `nonce`, ID-token signature, issuer and audience against the discovery
 * document's JWKS. Quarry adds its rules at better-auth's `validateUserInfo` gate, which runs before
 * any user is created, linked or signed in:
 *
 * - the provider must say the e-mail is verified (`email_verified`), for a new account and for linking
 *   to an existing one (a password account is linked only then — better-auth's own link rule too);
 * - a new account follows SIGNUP_MODE: `open` lets anyone in whom the provider signs in, `invite` and
 *   `closed` only addresses from OIDC_ALLOWED_DOMAINS (or ADMIN_EMAIL's first-run path); a non-empty
 *   OIDC_ALLOWED_DOMAINS restricts new accounts to those domains in every mode;
 * - OIDC_ADMIN_GROUP: the groups claim decides the Quarry role at each sign-in (added to the group →
 *   admin, removed → member), except that ADMIN_EMAIL's account is never demoted by it;
 * - OIDC_WORKSPACE_GROUPS: for each workspace it names, membership follows the groups at each sign-in
 *   (in a mapped group → a member with the highest role mapped; in none → not a member), except that
 *   a workspace's only owner is never removed or demoted by it.
 *
 * What one callback decided is collected in an AsyncLocalStorage record so the route that wraps
 * better-auth (http/routes/auth.ts) can audit it like a password sign-in.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Config } from '@quarry/config';
import { memberships, users, workspaces, type Database } from '@quarry/db';
import { and, eq, ne } from 'drizzle-orm';
import { genericOAuth } from 'better-auth/plugins';

/** better-auth's provider id: the callback is /api/auth/callback/oidc. */
export const OIDC_PROVIDER_ID = 'oidc';

export type OidcConfig = NonNullable<Config['auth']['oidc']>;

/** What one OIDC callback did, for the audit log. */
export interface OidcAttempt {
  email?: string;
  /** The Quarry user signed in (set once a session was created). */
  userId?: string;
  /** A new account was created by this sign-in. */
  created?: boolean;
  /** The provider's groups claim, as seen at this sign-in. */
  groups?: string[];
  /** Set when OIDC_ADMIN_GROUP changed the user's role at this sign-in. */
  roleChange?: { from: string; to: 'admin' | 'member' };
  /** Memberships OIDC_WORKSPACE_GROUPS added, changed or removed at this sign-in (null: not a member). */
  membershipChanges?: MembershipChange[];
  /** Quarry's own refusal code (the redirect carries it as `?error=`). */
  refused?: string;
}

const attempts = new AsyncLocalStorage<OidcAttempt>();

/** Runs one callback request with a record of what it decides. */
export function runOidcAttempt<T>(attempt: OidcAttempt, fn: () => Promise<T>): Promise<T> {
  return attempts.run(attempt, fn);
}
export const currentOidcAttempt = () => attempts.getStore();

export interface OidcPolicy {
  oidc: OidcConfig;
  signupMode: 'open' | 'invite' | 'closed';
  adminEmail: string | undefined;
  /** `admin` when this address takes the first-run path (users.isFirstRunSignUp). */
  roleForNewUser(email: string): Promise<'admin' | 'member'>;
}

/** The groups claim as a list: providers send an array, some a single string or a comma list. */
export function groupsOf(profile: Record<string, unknown> | undefined, claim: string): string[] {
  const value = profile?.[claim];
  if (Array.isArray(value)) return value.filter((g): g is string => typeof g === 'string');
  if (typeof value === 'string') return value.split(',').map((g) => g.trim()).filter(Boolean);
  return [];
}

const domainOf = (email: string) => email.slice(email.lastIndexOf('@') + 1).toLowerCase();

type Refusal = { error: string; errorDescription: string };

/** Quarry's decision on a new account from the provider: undefined to allow it. */
export async function refuseNewAccount(policy: OidcPolicy, email: string): Promise<Refusal | undefined> {
  const firstRun = (await policy.roleForNewUser(email)) === 'admin';
  const domains = policy.oidc.allowedDomains;
  const inDomains = domains.includes(domainOf(email));
  if (firstRun) return undefined;
  if (domains.length > 0 && !inDomains) {
    return { error: 'domain_not_allowed', errorDescription: 'Accounts from your e-mail domain cannot be created on this Quarry; ask an administrator.' };
  }
  if (policy.signupMode !== 'open' && !inDomains) {
    return { error: 'signup_closed', errorDescription: 'This Quarry does not create accounts on first sign-in; ask an administrator to invite you.' };
  }
  return undefined;
}

interface GateInput {
  user: { id?: string; email?: string | null; emailVerified?: unknown };
  source: { method: string; action: string; oauth?: { providerId: string; profile?: Record<string, unknown> } };
}

/** better-auth's `user.validateUserInfo`: only OIDC identities are judged here; other methods pass. */
export function oidcGate(policy: OidcPolicy) {
  return async ({ user, source }: GateInput): Promise<Refusal | undefined> => {
    if (source.method !== 'oauth' || source.oauth?.providerId !== OIDC_PROVIDER_ID) return undefined;
    const attempt = currentOidcAttempt();
    const email = (user.email ?? '').toLowerCase();
    if (attempt) {
      attempt.email = email || attempt.email;
      attempt.groups = groupsOf(source.oauth.profile, policy.oidc.groupsClaim);
    }
    const refuse = (r: Refusal) => {
      if (attempt) attempt.refused = r.error;
      return r;
    };
    const verified = user.emailVerified === true || user.emailVerified === 'true';
    if (!email) return refuse({ error: 'email_missing', errorDescription: 'Your provider sent no e-mail address; Quarry needs one (scope "email").' });
    if (!verified) {
      return refuse({ error: 'email_not_verified', errorDescription: 'Your provider has not verified your e-mail address, so it cannot sign you in here.' });
    }
    if (source.action === 'create-user') {
      const refusal = await refuseNewAccount(policy, email);
      if (refusal) return refuse(refusal);
      if (attempt) attempt.created = true;
    }
    return undefined;
  };
}

/** The role a new OIDC account starts with: the group mapping when configured, else the first-run rule. */
export async function roleForNewOidcUser(policy: OidcPolicy, email: string): Promise<'admin' | 'member'> {
  const attempt = currentOidcAttempt();
  const base = await policy.roleForNewUser(email);
  if (!attempt || !policy.oidc.adminGroup) return base;
  return attempt.groups?.includes(policy.oidc.adminGroup) ? 'admin' : base;
}

/**
 * After a session was created for an OIDC sign-in: records who, and applies OIDC_ADMIN_GROUP to an
 * existing account (a new one got its role at creation).
 */
export async function afterOidcSession(db: Database, policy: OidcPolicy, userId: string) {
  const attempt = currentOidcAttempt();
  if (!attempt) return;
  attempt.userId = userId;
  if (policy.oidc.workspaceGroups.length > 0) {
    const changes = await applyWorkspaceGroups(db, policy.oidc.workspaceGroups, userId, attempt.groups ?? []);
    if (changes.length > 0) attempt.membershipChanges = changes;
  }
  const group = policy.oidc.adminGroup;
  if (!group || attempt.created) return;
  const [row] = await db.select({ role: users.role, email: users.email }).from(users).where(eq(users.id, userId)).limit(1);
  if (!row) return;
  const wanted = attempt.groups?.includes(group) ? 'admin' : 'member';
  if (wanted === 'member' && policy.adminEmail !== undefined && row.email.toLowerCase() === policy.adminEmail) return;
  const current = row.role ?? 'member';
  if (current === wanted) return;
  await db.update(users).set({ role: wanted, updatedAt: new Date() }).where(eq(users.id, userId));
  attempt.roleChange = { from: current, to: wanted };
}

type WorkspaceRole = 'owner' | 'editor' | 'viewer';
export interface MembershipChange {
  workspaceId: string;
  from: WorkspaceRole | null;
  to: WorkspaceRole | null;
}
const rank: Record<WorkspaceRole, number> = { viewer: 1, editor: 2, owner: 3 };

/**
 * Makes the user's memberships of the mapped workspaces what their groups say: the highest role any
 * of their groups maps to, or none. Never leaves a workspace without an owner (its only owner keeps
 * the role), and skips workspaces that no longer exist.
 */
export async function applyWorkspaceGroups(db: Database, mappings: OidcConfig['workspaceGroups'], userId: string, groups: string[]): Promise<MembershipChange[]> {
  const wanted = new Map<string, WorkspaceRole | null>();
  for (const m of mappings) {
    const now = wanted.get(m.workspaceId) ?? null;
    const role = groups.includes(m.group) ? m.role : null;
    wanted.set(m.workspaceId, role === null ? now : now === null || rank[role] > rank[now] ? role : now);
  }
  const changes: MembershipChange[] = [];
  for (const [workspaceId, to] of wanted) {
    const [exists] = await db.select({ id: workspaces.id }).from(workspaces).where(eq(workspaces.id, workspaceId)).limit(1);
    if (!exists) continue;
    const [row] = await db
      .select({ role: memberships.role })
      .from(memberships)
      .where(and(eq(memberships.workspaceId, workspaceId), eq(memberships.userId, userId)))
      .limit(1);
    const from = (row?.role ?? null) as WorkspaceRole | null;
    if (from === to) continue;
    if (from === 'owner') {
      const [other] = await db
        .select({ userId: memberships.userId })
        .from(memberships)
        .where(and(eq(memberships.workspaceId, workspaceId), eq(memberships.role, 'owner'), ne(memberships.userId, userId)))
        .limit(1);
      if (!other) continue; // the only owner: the workspace keeps one
    }
    if (to === null) {
      await db.delete(memberships).where(and(eq(memberships.workspaceId, workspaceId), eq(memberships.userId, userId)));
    } else {
      await db
        .insert(memberships)
        .values({ workspaceId, userId, role: to })
        .onConflictDoUpdate({ target: [memberships.workspaceId, memberships.userId], set: { role: to } });
    }
    changes.push({ workspaceId, from, to });
  }
  return changes;
}

/** The better-auth plugin for the configured provider. */
export function oidcPlugin(oidc: OidcConfig) {
  return genericOAuth({
    config: [
      {
        providerId: OIDC_PROVIDER_ID,
        name: oidc.displayName,
        discoveryUrl: `${oidc.issuer}/.well-known/openid-configuration`,
        // Identity comes from ID-token claims: refuse to run on a discovery document without issuer and JWKS.
        requireIdTokenVerification: true,
        clientId: oidc.clientId,
        clientSecret: oidc.clientSecret,
        scopes: oidc.scopes,
        pkce: true,
        // Sign-out ends the Quarry session only; the provider's session is the provider's.
        disableProviderLogout: true,
      },
    ],
  });
}
