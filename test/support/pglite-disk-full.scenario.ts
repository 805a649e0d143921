/**
 * Run as its own process by packages/db/src/disk-full.test.ts (so a wedged PGlite can be killed):
 * opens the embedded database on DIR (a small tmpfs), fills the disk, writes until PGlite reports a
 * full disk, then checks that nothing spins, frees the space and checks that it recovers.
 * Prints one JSON line per phase.   usage: tsx pglite-disk-full.scenario.ts DIR plain|tx
 */
import { rmSync } from 'node:fs';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { diskFullReason, isDiskFullError, openDatabase, queryRows } from '@quarry/db';
import { fillDisk } from './tmpfs.js';

// plain | tx: the gate's floor refuses writes before PGlite meets the full disk.
// plain-nofloor: PGlite meets ENOSPC itself; the gate retires and reopens the instance.
// tx-nofloor: the COMMIT itself spins in PGlite; its thread is stopped and the directory reopened
// (on the main thread, QUARRY_PGLITE_THREAD=off, the watchdog kills the process instead).
const [dir, mode = 'plain'] = process.argv.slice(2);
if (!dir) throw new Error('usage: pglite-disk-full.scenario.ts DIR plain|tx|plain-nofloor|tx-nofloor');
const nofloor = mode.endsWith('-nofloor');
const report = (phase: string, data: Record<string, unknown>) => console.log(JSON.stringify({ phase, ...data }));

const handle = await openDatabase({ kind: 'pglite', dir, ...(nofloor ? { diskFloorBytes: 0, watchdogStallMs: 3_000 } : {}) });
const db = handle.db;
await db.execute(sql`create table t (id int primary key, body text) with (fillfactor = 10)`);
await db.execute(sql`insert into t select g, repeat('y', 100) from generate_series(1, 2000) g`);
await db.execute(sql`checkpoint`);
const filler = path.join(dir, 'filler');
fillDisk(dir, filler, 0);

// Each statement rewrites every row (about 1 MB of WAL): the WAL soon needs a new segment it cannot write.
let firstError: unknown;
let okStatements = 0;
for (let i = 0; i < 200 && firstError === undefined; i++) {
  try {
    if (mode.startsWith('tx')) {
      await db.transaction(async (tx) => {
        await tx.execute(sql`update t set body = repeat(md5(random()::text), 10) where id <= 1000`);
        await tx.execute(sql`update t set body = repeat(md5(random()::text), 10) where id > 1000`);
      });
    } else {
      await db.execute(sql`update t set body = repeat(md5(random()::text), 10)`);
    }
    okStatements++;
  } catch (error) {
    firstError = error;
  }
}
report('first-error', { okStatements, diskFull: isDiskFullError(firstError), message: diskFullReason(firstError) ?? String(firstError) });
// Reads keep working below the floor (the instance was never touched by a failing write).
if (!nofloor) {
  const [row] = await queryRows<{ n: number }>(db, sql`select count(*)::int as n from t`);
  report('read-while-full', { rows: row?.n });
}

// While full: every call fails at once, the event loop keeps turning, the reason is named.
let ticks = 0;
const heartbeat = setInterval(() => ticks++, 10);
const started = Date.now();
const outcome = (p: Promise<unknown>) =>
  p.then(
    () => 'ok',
    (e: unknown) => (isDiskFullError(e) ? 'disk-full' : `other: ${(e as Error).message}`),
  );
const ping = await outcome(handle.ping(2_000));
const read = await outcome(db.execute(sql`select count(*) from t`));
const write = await outcome(db.execute(sql`update t set body = 'w' where id = 1`));
const tx = await outcome(db.transaction(async (t) => void (await t.execute(sql`update t set body = 'v' where id = 2`))));
await new Promise((r) => setTimeout(r, 300));
report('while-full', { ping, read, write, tx, ms: Date.now() - started, ticks, unavailable: handle.unavailable?.() });

// Free the space: the database comes back by itself, with every committed row.
rmSync(filler, { force: true });
const deadline = Date.now() + 30_000;
let recovered = false;
while (Date.now() < deadline) {
  if (await handle.ping(2_000).then(() => true, () => false)) {
    recovered = true;
    break;
  }
  await new Promise((r) => setTimeout(r, 200));
}
clearInterval(heartbeat);
const [count] = recovered ? await queryRows<{ n: number }>(db, sql`select count(*)::int as n from t`) : [];
let writesAfter = 0;
if (recovered) {
  for (let i = 0; i < 20; i++) {
    await db.execute(sql`update t set body = repeat(md5(random()::text), 10)`);
    writesAfter++;
  }
}
report('after-free', { recovered, rows: count?.n, writesAfter, unavailable: handle.unavailable?.() ?? null });
await handle.close();
report('closed', {});
process.exit(0);
