/**
 * The PostgreSQL role the app serves with (docs/security.md §5, gap G1 closed): it logs in, reads and
 * writes the app's tables, may only INSERT and SELECT on `audit_events`, and owns nothing — so it can
 * neither drop nor disable the audit log's append-only triggers, nor change the schema. `quarry
 * migrate`, connected as the owner, creates it when missing, sets its password, and (re)grants after
 * every run; default privileges cover tables and sequences that later migrations create.
 */
import pg from 'pg';
import { MIGRATION_LOCK_KEY } from './migrate.js';

export interface AppRole {
  name: string;
  password: string;
}

export interface AppRoleResult {
  role: string;
  created: boolean;
  owner: string;
}

/** Tables the app role may add to and read, never change or empty. */
export const APPEND_ONLY_TABLES = ['audit_events'] as const;

/** SECURITY DEFINER functions (migration 0007) through which the app builds and drops HNSW indexes. */
const APP_FUNCTIONS = ['quarry_ensure_vector_index(integer, integer)', 'quarry_drop_vector_index(integer)'];

export class AppRoleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AppRoleError';
  }
}

/**
 * Creates or updates `role` and grants it exactly what the app needs in the database `ownerUrl` names.
 * Idempotent: run it after every migration.
 */
export async function ensureAppRole(ownerUrl: string, role: AppRole): Promise<AppRoleResult> {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(role.name)) throw new AppRoleError(`"${role.name}" is not a plain lower-case role name`);
  if (role.password.length === 0) throw new AppRoleError('the app role needs a password');
  const client = new pg.Client({ connectionString: ownerUrl, connectionTimeoutMillis: 10_000, application_name: 'quarry migrate' });
  await client.connect();
  try {
    const facts = await client.query<{ owner: string; db: string }>(`select current_user as owner, current_database() as db`);
    const { owner, db } = facts.rows[0]!;
    if (owner === role.name) {
      throw new AppRoleError(`the app role "${role.name}" is the role DATABASE_URL connects as (the owner): choose another name`);
    }
    const r = client.escapeIdentifier(role.name);
    const o = client.escapeIdentifier(owner);
    let created = false;
    await client.query('BEGIN');
    try {
      // Role names are cluster-wide: one migrate at a time (the migrations' own lock, held to COMMIT).
      await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
      const existing = await client.query<{ owns: number }>(
        `select (select count(*)::int from pg_class where relowner = r.oid) + (select count(*)::int from pg_proc where proowner = r.oid) as owns
           from pg_roles r where rolname = $1`,
        [role.name],
      );
      if (existing.rows[0] && existing.rows[0].owns > 0) {
        throw new AppRoleError(`role "${role.name}" owns database objects; the app role must own nothing: choose another name, or REASSIGN OWNED BY ${r} TO ${o}`);
      }
      created = existing.rows.length === 0;
      const attributes = `LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS NOINHERIT PASSWORD ${client.escapeLiteral(role.password)}`;
      await client.query(created ? `CREATE ROLE ${r} ${attributes}` : `ALTER ROLE ${r} WITH ${attributes}`);
      // No membership in any other role (it could inherit or SET ROLE to the owner's rights).
      const memberships = await client.query<{ name: string }>(
        `select g.rolname as name from pg_auth_members m join pg_roles g on g.oid = m.roleid join pg_roles u on u.oid = m.member where u.rolname = $1`,
        [role.name],
      );
      for (const m of memberships.rows) await client.query(`REVOKE ${client.escapeIdentifier(m.name)} FROM ${r}`);
      await client.query(`GRANT CONNECT ON DATABASE ${client.escapeIdentifier(db)} TO ${r}`);
      // Only the owner creates objects (PostgreSQL 15+ already refuses PUBLIC; older clusters did not).
      await client.query('REVOKE CREATE ON SCHEMA public FROM PUBLIC');
      await client.query(`REVOKE CREATE ON SCHEMA public FROM ${r}`);
      await client.query(`GRANT USAGE ON SCHEMA public TO ${r}`);
      await client.query(`REVOKE ALL ON ALL TABLES IN SCHEMA public FROM ${r}`);
      await client.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${r}`);
      for (const table of APPEND_ONLY_TABLES) {
        if ((await client.query(`select to_regclass($1) as t`, [`public.${table}`])).rows[0]?.t) {
          await client.query(`REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON public.${client.escapeIdentifier(table)} FROM ${r}`);
        }
      }
      await client.query(`GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO ${r}`);
      for (const fn of APP_FUNCTIONS) {
        const name = fn.slice(0, fn.indexOf('('));
        if ((await client.query(`select to_regproc($1) as f`, [`public.${name}`])).rows[0]?.f) {
          await client.query(`GRANT EXECUTE ON FUNCTION public.${fn} TO ${r}`);
        }
      }
      // Tables and sequences later migrations create (as the owner) get the same DML grants; an
      // append-only one must be added to APPEND_ONLY_TABLES, which this re-grant applies on the next run.
      await client.query(`ALTER DEFAULT PRIVILEGES FOR ROLE ${o} IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ${r}`);
      await client.query(`ALTER DEFAULT PRIVILEGES FOR ROLE ${o} IN SCHEMA public GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO ${r}`);
      // Start-up reads the migration level (to know there is nothing to apply).
      if ((await client.query(`select to_regclass('drizzle.__drizzle_migrations') as t`)).rows[0]?.t) {
        await client.query(`GRANT USAGE ON SCHEMA drizzle TO ${r}`);
        await client.query(`GRANT SELECT ON drizzle.__drizzle_migrations TO ${r}`);
      }
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
    return { role: role.name, created, owner };
  } finally {
    await client.end();
  }
}
