/**
 * The per-request session check, cheap: better-auth's `getSession` re-imports the signing key into
 * WebCrypto, builds its adapter query and runs its endpoint pipeline on every call (2–8 ms measured).
 * This reads the same signed cookie with a key imported once and one prepared statement (session
 * joined to its user), and hands back to better-auth only when a session is due for its daily
 * expiry extension or has expired, so the rules (signature, expiry, refresh) stay better-auth's.
 *
 * On PostgreSQL the statement is a named one, which node-postgres prepares once per pooled
 * connection. PGlite's driver plans every statement afresh (about half of the lookup's cost in
 * WASM), and it has one connection: there the statement is PREPAREd once and EXECUTEd.
 */
import { createHmac, createSecretKey, timingSafeEqual, type KeyObject } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import { sessions, users, type Database } from '@quarry/db';
import type { Auth } from './better-auth.js';

export interface SessionUser {
  id: string;
  email: string;
  name: string;
  role: string;
  banned: boolean;
}

/** `'delegate'`: better-auth must answer (`auth.api.getSession`): the session is due for extension, or expired and to be removed. */
export type SessionLookupResult = { user: SessionUser } | null | 'delegate';

interface Keys {
  cookieName: string;
  key: KeyObject;
  expiresInMs: number;
  updateAgeMs: number;
}

/** The value of cookie `name` in a Cookie header, decoded as better-call decodes it; undefined when absent. */
export function readCookie(header: string, name: string): string | undefined {
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== name) continue;
    let value = part.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    try {
      return decodeURIComponent(value);
    } catch {
      return value;
    }
  }
  return undefined;
}

export function createSessionLookup(auth: Auth, db: Database, driver: 'pglite' | 'postgres' = 'postgres') {
  let keys: Promise<Keys> | undefined;
  const loadKeys = async (): Promise<Keys> => {
    const context = await auth.$context;
    return {
      cookieName: context.authCookies.sessionToken.name,
      key: createSecretKey(Buffer.from(context.secret, 'utf8')),
      expiresInMs: context.sessionConfig.expiresIn * 1000,
      updateAgeMs: context.sessionConfig.updateAge * 1000,
    };
  };
  const statement = db
    .select({
      expiresAt: sessions.expiresAt,
      id: users.id,
      email: users.email,
      name: users.name,
      role: users.role,
      banned: users.banned,
    })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(eq(sessions.token, sql.placeholder('token')))
    .limit(1)
    .prepare('quarry_session_by_token');
  const sessionByToken = driver === 'pglite' ? embeddedSessionByToken(db) : (token: string) => statement.execute({ token });

  return async (cookieHeader: string): Promise<SessionLookupResult> => {
    const k = await (keys ??= loadKeys());
    const value = readCookie(cookieHeader, k.cookieName);
    if (!value) return null;
    // better-call's format: `<token>.<base64 HMAC-SHA256 of token>` (44 characters, padded).
    const dot = value.lastIndexOf('.');
    if (dot < 1) return null;
    const token = value.slice(0, dot);
    const signature = value.slice(dot + 1);
    if (signature.length !== 44 || !signature.endsWith('=')) return null;
    const expected = createHmac('sha256', k.key).update(token).digest();
    const given = Buffer.from(signature, 'base64');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
    const [row] = await sessionByToken(token);
    if (!row) return null;
    const expiresAt = row.expiresAt.getTime();
    // Expired (better-auth deletes it) or, by better-auth's rule, due for extension once `updateAge` has passed.
    if (expiresAt < Date.now() || expiresAt - k.expiresInMs + k.updateAgeMs <= Date.now()) return 'delegate';
    return { user: { id: row.id, email: row.email, name: row.name, role: row.role, banned: row.banned } };
  };
}

interface SessionRow {
  expiresAt: Date;
  id: string;
  email: string;
  name: string;
  role: string;
  banned: boolean;
}

/**
 * The lookup as a server-side prepared statement on PGlite's one connection. EXECUTE takes no bind
 * parameters, so the token goes in as a literal: only a token of better-auth's alphabet (it is
 * already known to carry our signature here) is ever put there. A PGlite that was reopened has
 * lost the statement: it is prepared again.
 */
function embeddedSessionByToken(db: Database) {
  let prepared: Promise<unknown> | undefined;
  const prepare = () =>
    (prepared ??= db
      .execute(
        sql.raw(`PREPARE quarry_session_lookup(text) AS
          SELECT (extract(epoch FROM s.expires_at) * 1000)::float8 AS expires_ms, u.id, u.email, u.name, u.role, u.banned
          FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token = $1 LIMIT 1`),
      )
      .catch((error: unknown) => {
        prepared = undefined;
        // 42P05: prepared already (another lookup created on this database, e.g. in tests).
        if ((error as { code?: string }).code !== '42P05' && (error as { cause?: { code?: string } }).cause?.code !== '42P05') throw error;
      }));
  const run = async (token: string): Promise<SessionRow[]> => {
    await prepare();
    const result = (await db.execute(sql.raw(`EXECUTE quarry_session_lookup('${token}')`))) as unknown as {
      rows: Array<{ expires_ms: number | string; id: string; email: string; name: string; role: string; banned: boolean | string }>;
    };
    return result.rows.map((r) => ({
      expiresAt: new Date(Number(r.expires_ms)),
      id: r.id,
      email: r.email,
      name: r.name,
      role: r.role,
      banned: r.banned === true || r.banned === 't',
    }));
  };
  return async (token: string): Promise<SessionRow[]> => {
    if (!/^[A-Za-z0-9]{1,256}$/.test(token)) return [];
    try {
      return await run(token);
    } catch (error) {
      const code = (error as { code?: string }).code ?? (error as { cause?: { code?: string } }).cause?.code;
      if (code !== '26000') throw error; // 26000: no such prepared statement
      prepared = undefined;
      return run(token);
    }
  };
}
