// TEST-ONLY probe for gap G1 (docs/security.md): run INSIDE the web container, fed on stdin
// (`docker compose exec -T web node --input-type=module - < g1-probe.mjs`), so it connects exactly as web does —
// with web's own DATABASE_URL and the pg module of the image. Prints one line per statement:
//   <name> ok [detail]          the statement succeeded
//   <name> refused <SQLSTATE> <message>
// Statements that must be refused run inside BEGIN … ROLLBACK, so even a wrongly allowed one
// changes nothing. Exits 0 whatever the outcomes; the shell checks judge the lines.
import pg from 'pg';

const refused = [
  ['update', `UPDATE audit_events SET action = 'rewritten'`],
  ['delete', `DELETE FROM audit_events`],
  ['truncate', `TRUNCATE audit_events`],
  ['drop-trigger', `DROP TRIGGER audit_events_no_update_delete ON audit_events`],
  ['disable-trigger', `ALTER TABLE audit_events DISABLE TRIGGER ALL`],
  ['drop-function', `DROP FUNCTION quarry_audit_events_immutable() CASCADE`],
  ['create-table', `CREATE TABLE g1_probe (x int)`],
];

async function main() {
  const client = new pg.Client({ connectionString: process.env.DATABASE_URL, connectionTimeoutMillis: 10000 });
  await client.connect();
  const me = await client.query(
    `SELECT current_user AS role, r.rolsuper AS superuser,
            (SELECT count(*)::int FROM pg_class WHERE relowner = r.oid) + (SELECT count(*)::int FROM pg_proc WHERE proowner = r.oid) AS owns,
            (SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = 'public.audit_events'::regclass) AS audit_owner
       FROM pg_roles r WHERE r.rolname = current_user`,
  );
  const f = me.rows[0];
  console.log(`role ok ${f.role} superuser=${f.superuser} owns=${f.owns} audit_events_owner=${f.audit_owner}`);
  try {
    await client.query(`INSERT INTO audit_events (action, outcome) VALUES ('stacktest.g1', 'success')`);
    console.log('insert ok');
  } catch (e) {
    console.log(`insert refused ${e.code} ${e.message}`);
  }
  try {
    const r = await client.query(`SELECT count(*)::int AS n FROM audit_events WHERE action = 'stacktest.g1'`);
    console.log(`select ok ${r.rows[0].n} probe row(s)`);
  } catch (e) {
    console.log(`select refused ${e.code} ${e.message}`);
  }
  for (const [name, statement] of refused) {
    await client.query('BEGIN');
    try {
      await client.query(statement);
      console.log(`${name} ok (NOT refused)`);
    } catch (e) {
      console.log(`${name} refused ${e.code} ${e.message}`);
    }
    await client.query('ROLLBACK');
  }
  await client.end();
}

try {
  await main();
} catch (e) {
  console.log(`probe error ${e.code || ''} ${e.message}`);
}
