/**
 * G1 (docs/security.md): the role the app serves with in the compose stack may add to the audit log and
 * read it, never rewrite, empty or unprotect it, and owns nothing. PostgreSQL only (TEST_DATABASE_URL;
 * the stack test sets it) — the embedded database has a single owner by design.
 */
import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { openTestDatabase, postgresUrl, type TestDatabase } from '../../../test/support/databases.js';
import { AppRoleError, ensureAppRole } from './app-role.js';
import { openDatabase, queryRows } from './client.js';
import { MigrationsPendingError, runMigrations } from './migrate.js';
import { ensureVectorIndex, dropVectorIndex, vectorIndexName } from './vector-index.js';
import { embeddingSpaces } from './schema.js';

if (!postgresUrl) console.info('[quarry tests] app role (G1): needs TEST_DATABASE_URL (PostgreSQL); skipped on the embedded database, which has one owner.');

/** SQLSTATE of a refused statement, or 'ok'. */
async function outcome(client: pg.Client, statement: string): Promise<string> {
  try {
    await client.query(statement);
    return 'ok';
  } catch (error) {
    return String((error as { code?: string }).code ?? (error as Error).message);
  }
}

describe.skipIf(!postgresUrl)('the app role on PostgreSQL (G1)', () => {
  let t: TestDatabase | undefined;
  let role: string | undefined;
  const clients: pg.Client[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) await c.end().catch(() => undefined);
    await t?.dispose();
    t = undefined;
    if (role) {
      const admin = new pg.Client({ connectionString: postgresUrl });
      await admin.connect();
      await admin.query(`DROP ROLE IF EXISTS ${role}`);
      await admin.end();
      role = undefined;
    }
  });

  async function setUp() {
    t = await openTestDatabase('postgres');
    role = `quarry_web_${randomBytes(4).toString('hex')}`;
    const password = randomBytes(24).toString('hex');
    const ownerUrl = (t.target as { url: string }).url;
    const result = await ensureAppRole(ownerUrl, { name: role, password });
    const url = new URL(ownerUrl);
    url.username = role;
    url.password = password;
    const client = new pg.Client({ connectionString: url.toString() });
    await client.connect();
    clients.push(client);
    return { ownerUrl, appUrl: url.toString(), client, result, password };
  }

  it('may INSERT and SELECT the audit log; UPDATE, DELETE, TRUNCATE, DROP/DISABLE TRIGGER and DDL are refused', async () => {
    const { client, result } = await setUp();
    expect(result.created).toBe(true);
    expect(await outcome(client, `INSERT INTO audit_events (action, outcome) VALUES ('g1.test', 'success')`)).toBe('ok');
    expect((await client.query(`SELECT count(*)::int AS n FROM audit_events WHERE action = 'g1.test'`)).rows[0].n).toBe(1);
    // 42501 insufficient_privilege: refused by the grants, before the triggers are even reached.
    expect(await outcome(client, `UPDATE audit_events SET action = 'rewritten'`)).toBe('42501');
    expect(await outcome(client, `DELETE FROM audit_events`)).toBe('42501');
    expect(await outcome(client, `TRUNCATE audit_events`)).toBe('42501');
    expect(await outcome(client, `DROP TRIGGER audit_events_no_update_delete ON audit_events`)).toBe('42501');
    expect(await outcome(client, `ALTER TABLE audit_events DISABLE TRIGGER ALL`)).toBe('42501');
    expect(await outcome(client, `DROP FUNCTION quarry_audit_events_immutable() CASCADE`)).toBe('42501');
    expect(await outcome(client, `CREATE OR REPLACE FUNCTION quarry_audit_events_immutable() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$`)).toBe('42501');
    expect(await outcome(client, `DROP TABLE audit_events`)).toBe('42501');
    expect(await outcome(client, `CREATE TABLE g1_probe (x int)`)).toBe('42501');
    expect(await outcome(client, `ALTER TABLE documents ADD COLUMN g1 int`)).toBe('42501');
    expect(await outcome(client, `SET ROLE ${result.owner}`)).toBe('42501');
    const rows = await client.query(`SELECT action FROM audit_events`);
    expect(rows.rows.map((r) => r.action)).toEqual(['g1.test']);
    const me = await client.query(
      `SELECT rolsuper, rolcreaterole, rolcreatedb, (SELECT count(*)::int FROM pg_class WHERE relowner = r.oid) AS owns FROM pg_roles r WHERE rolname = current_user`,
    );
    expect(me.rows[0]).toEqual({ rolsuper: false, rolcreaterole: false, rolcreatedb: false, owns: 0 });
  });

  it('does the app\'s ordinary work: DML on the other tables, its vector indexes, start-up on a migrated schema', async () => {
    const { client, appUrl } = await setUp();
    expect(await outcome(client, `INSERT INTO workspaces (name) VALUES ('g1')`)).toBe('ok');
    expect(await outcome(client, `UPDATE workspaces SET name = 'g1b' WHERE name = 'g1'`)).toBe('ok');
    expect(await outcome(client, `DELETE FROM workspaces WHERE name = 'g1b'`)).toBe('ok');
    const handle = await openDatabase({ kind: 'postgres', url: appUrl, poolMax: 2 });
    try {
      // Nothing pending: start-up sends no DDL and succeeds as the app role.
      expect(await runMigrations(handle, { kind: 'postgres', url: appUrl })).toMatchObject({ applied: 0 });
      const [space] = await handle.db.insert(embeddingSpaces).values({ provider: 't', model: 'g1', dimensions: 3, status: 'active' }).returning();
      const count = async () =>
        Number((await queryRows<{ n: number }>(handle.db, sql`select count(*)::int as n from pg_indexes where indexname = ${vectorIndexName(space!)}`))[0]!.n);
      expect(await ensureVectorIndex(handle.db, space!)).toBe(true);
      expect(await count()).toBe(1);
      await dropVectorIndex(handle.db, space!);
      expect(await count()).toBe(0);
    } finally {
      await handle.close();
    }
  });

  it('covers tables later migrations create, re-runs idempotently, and refuses to apply pending migrations with a clear message', async () => {
    const { client, ownerUrl, appUrl, password } = await setUp();
    const owner = new pg.Client({ connectionString: ownerUrl });
    await owner.connect();
    clients.push(owner);
    await owner.query(`CREATE TABLE g1_future (id serial PRIMARY KEY, v text)`);
    expect(await outcome(client, `INSERT INTO g1_future (v) VALUES ('x')`)).toBe('ok');
    expect(await outcome(client, `UPDATE g1_future SET v = 'y'`)).toBe('ok');
    expect(await outcome(client, `TRUNCATE g1_future`)).toBe('42501');
    // A manual grant that widens audit_events is undone by the next migrate.
    await owner.query(`GRANT UPDATE, DELETE, TRUNCATE ON audit_events TO ${role}`);
    const again = await ensureAppRole(ownerUrl, { name: role!, password });
    expect(again.created).toBe(false);
    expect(await outcome(client, `DELETE FROM audit_events`)).toBe('42501');
    // One migration "pending": the app role may not apply it and says who can.
    await owner.query(`DELETE FROM drizzle.__drizzle_migrations WHERE created_at = (SELECT max(created_at) FROM drizzle.__drizzle_migrations)`);
    const handle = await openDatabase({ kind: 'postgres', url: appUrl, poolMax: 1 });
    try {
      const error = await runMigrations(handle, { kind: 'postgres', url: appUrl }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(MigrationsPendingError);
      expect((error as Error).message).toMatch(/1 database migration is pending and role "quarry_web_[0-9a-f]+" may not apply them: run `quarry migrate`/);
    } finally {
      await handle.close();
    }
  });

  it('refuses to make the owner the app role', async () => {
    t = await openTestDatabase('postgres');
    const ownerUrl = (t.target as { url: string }).url;
    const ownerName = decodeURIComponent(new URL(ownerUrl).username);
    await expect(ensureAppRole(ownerUrl, { name: ownerName, password: 'x'.repeat(32) })).rejects.toBeInstanceOf(AppRoleError);
  });
});
