/**
 * PGlite's first open runs initdb (seconds); reopening a directory is fast.
 * So tests copy a migrated template directory instead of creating databases
 * from scratch. The template is keyed by the migrations' content.
 */
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { migrationsFolder, openDatabase, runMigrations } from '@quarry/db';

function templateDir(): string {
  const folder = migrationsFolder();
  const hash = createHash('sha256');
  for (const file of readdirSync(folder).sort()) {
    if (file.endsWith('.sql')) hash.update(file).update(readFileSync(path.join(folder, file)));
  }
  return path.join(tmpdir(), `quarry-pglite-template-${hash.digest('hex').slice(0, 12)}`);
}

export async function ensurePgliteTemplate(): Promise<string> {
  const dir = templateDir();
  if (existsSync(path.join(dir, 'ready'))) return dir;
  const building = `${dir}.building-${process.pid}`;
  rmSync(building, { recursive: true, force: true });
  const target = { kind: 'pglite' as const, dir: building };
  const handle = await openDatabase(target);
  await runMigrations(handle, target);
  await handle.close();
  mkdirSync(path.join(building, 'ready'));
  try {
    renameSync(building, dir);
  } catch {
    rmSync(building, { recursive: true, force: true }); // another worker won the race
  }
  return dir;
}

/** A fresh copy of the migrated template (no lock file inside). */
export async function copyPgliteTemplate(into: string): Promise<void> {
  const template = await ensurePgliteTemplate();
  cpSync(path.join(template, 'pglite'), path.join(into, 'pglite'), { recursive: true });
}
