/**
 * A fresh DATA_DIR starts as a copy of the pre-initialised cluster (no initdb: it reports the template's
 * system identifier), the copy is made only once the DATA_DIR lock is held, and the migrations newer
 * than the template run at start-up under that lock.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildPgliteTemplate,
  DataDirLockedError,
  migrationsFolder,
  openDatabase,
  queryRows,
  readTemplateInfo,
  runMigrations,
  templateFits,
  templateIsCurrent,
  type PgliteTemplateInfo,
} from './index.js';
import { copyPgliteTemplate } from '../../../test/support/pglite-template.js';

const scratch = mkdtempSync(path.join(tmpdir(), 'quarry-template-test-'));
const templateDir = path.join(scratch, 'template');
/** All but the last two migrations: the template is older than this build. */
const olderFolder = path.join(scratch, 'older-migrations');
let info: PgliteTemplateInfo;
let total = 0;
let inTemplate = 0;

function olderMigrations(): void {
  cpSync(migrationsFolder(), olderFolder, { recursive: true });
  const journalFile = path.join(olderFolder, 'meta', '_journal.json');
  const journal = JSON.parse(readFileSync(journalFile, 'utf8')) as { entries: { tag: string }[] };
  total = journal.entries.length;
  const dropped = journal.entries.splice(-2);
  inTemplate = journal.entries.length;
  for (const entry of dropped) rmSync(path.join(olderFolder, `${entry.tag}.sql`));
  writeFileSync(journalFile, JSON.stringify(journal));
}

async function systemIdentifier(db: Parameters<typeof queryRows>[0]): Promise<string> {
  const rows = await queryRows<{ s: string }>(db, sql`select system_identifier::text as s from pg_control_system()`);
  return rows[0]!.s;
}

beforeAll(async () => {
  olderMigrations();
  info = await buildPgliteTemplate(templateDir, olderFolder);
}, 240_000);

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('the pre-initialised embedded database', () => {
  it('records what it holds', () => {
    expect(readTemplateInfo(templateDir)).toEqual(info);
    expect(info.migrations).toHaveLength(inTemplate);
    expect(info.systemIdentifier).toMatch(/^\d+$/);
    expect(readdirSync(templateDir).sort()).toEqual(['pglite', 'quarry-template.json']); // no lock file inside
    expect(templateIsCurrent(templateDir, olderFolder)).toBe(true);
    // Older than this build: it fits (its migrations come first), but the build would make it again.
    expect(templateFits(info, migrationsFolder())).toBe(true);
    expect(templateIsCurrent(templateDir, migrationsFolder())).toBe(false);
  });

  it('starts a fresh DATA_DIR from the copy and runs the newer migrations under the lock', async () => {
    const dir = path.join(scratch, 'fresh');
    const target = { kind: 'pglite' as const, dir, template: templateDir, watchdogStallMs: 0 };
    const handle = await openDatabase(target);
    try {
      expect(handle.seededFrom?.systemIdentifier).toBe(info.systemIdentifier);
      // initdb did not run: a new cluster would have a new system identifier.
      expect(await systemIdentifier(handle.db)).toBe(info.systemIdentifier);
      const applied = await queryRows<{ n: number }>(
        handle.db,
        sql`select count(*)::int as n from drizzle.__drizzle_migrations`,
      );
      expect(applied[0]!.n).toBe(inTemplate);

      // The lock is this process's before the migrations run, and still while they run.
      const lockFile = path.join(dir, 'quarry.lock');
      const holder = () => (JSON.parse(readFileSync(lockFile, 'utf8')) as { pid: number }).pid;
      expect(holder()).toBe(process.pid);
      const result = await runMigrations(handle, target);
      expect(result).toEqual({ applied: total - inTemplate, total });
      expect(holder()).toBe(process.pid);
      expect(readdirSync(dir).filter((f) => f.startsWith('pglite.seeding-'))).toEqual([]);
    } finally {
      await handle.close();
    }

    // Reopened: an existing cluster is never replaced, nothing is pending.
    const again = await openDatabase(target);
    try {
      expect(again.seededFrom).toBeUndefined();
      expect(await systemIdentifier(again.db)).toBe(info.systemIdentifier);
      expect(await runMigrations(again, target)).toEqual({ applied: 0, total });
    } finally {
      await again.close();
    }
  });

  it('copies nothing into a DATA_DIR another live process holds', async () => {
    const dir = path.join(scratch, 'locked');
    mkdirSync(dir, { recursive: true });
    // The parent process (the test runner) is alive and on this host: its lock is honoured.
    writeFileSync(
      path.join(dir, 'quarry.lock'),
      JSON.stringify({ pid: process.ppid, host: hostname(), startedAt: new Date().toISOString() }),
    );
    await expect(
      openDatabase({ kind: 'pglite', dir, template: templateDir, watchdogStallMs: 0 }),
    ).rejects.toBeInstanceOf(DataDirLockedError);
    expect(existsSync(path.join(dir, 'pglite'))).toBe(false);
  });

  it('is not used when another PGlite made it or its migrations differ from the build', () => {
    expect(templateFits({ ...info, pglite: '0.0.1' }, migrationsFolder())).toBe(false);
    const changed = info.migrations.map((m, i) => (i === 0 ? { ...m, hash: '0'.repeat(64) } : m));
    expect(templateFits({ ...info, migrations: changed }, migrationsFolder())).toBe(false);
    const longer = [...info.migrations, ...info.migrations, ...info.migrations];
    expect(templateFits({ ...info, migrations: longer }, migrationsFolder())).toBe(false);
  });

  it('told to use none, opens what is there (a cluster another initdb made has its own identifier)', async () => {
    const dir = path.join(scratch, 'no-template');
    await copyPgliteTemplate(dir); // the test suite's own template: a separate initdb
    const handle = await openDatabase({ kind: 'pglite', dir, template: false, watchdogStallMs: 0 });
    try {
      expect(handle.seededFrom).toBeUndefined();
      expect(await systemIdentifier(handle.db)).not.toBe(info.systemIdentifier);
    } finally {
      await handle.close();
    }
  });
});
