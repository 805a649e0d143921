/**
 * The pre-initialised embedded database. PGlite's first open runs initdb in WASM (8–30 s on two loaded
 * cores), then every migration; reopening a cluster takes about a second. So `npm run build` creates the
 * empty, migrated cluster once (apps/web/dist/pglite-template) and a fresh DATA_DIR starts as a copy of
 * it. The copy is made under the DATA_DIR lock, and the migrations newer than the template still run at
 * start-up (under the same lock), as they would on any existing DATA_DIR.
 *
 * A template is used only if it was made by the same PGlite version and its migrations are the first
 * ones of this build's, each with the same content; otherwise the cluster is created from scratch.
 */
import {
  constants,
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  rmdirSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { drizzle } from 'drizzle-orm/pglite';
import { migrate } from 'drizzle-orm/pglite/migrator';
import { readMigrationFiles } from 'drizzle-orm/migrator';

/** The file beside the cluster that says what it is. */
export const TEMPLATE_MARKER = 'quarry-template.json';

export interface PgliteTemplateInfo {
  /** The PGlite package version that ran initdb (its on-disk format). */
  pglite: string;
  /** The migrations applied in the template, oldest first: Drizzle's timestamp and content hash. */
  migrations: { at: number; hash: string }[];
  /** pg_control_system(): every copy of the template shares it (initdb sets a new one each time). */
  systemIdentifier: string;
  createdAt: string;
}

/**
 * Where the build puts the template: apps/web/dist/server/*.js → apps/web/dist/pglite-template. In the
 * source layout this is packages/db/pglite-template, which nothing creates: no template (initdb).
 * PGLITE_TEMPLATE (packages/config) names another directory, or `off`.
 */
export function pgliteTemplateDir(): string {
  return fileURLToPath(new URL('../pglite-template', import.meta.url));
}

let pgliteVersionCache: string | undefined;

/** The installed PGlite's version, read from its package.json (its exports do not include it). */
export function pgliteVersion(): string {
  if (pgliteVersionCache) return pgliteVersionCache;
  let version = 'unknown';
  try {
    let dir = path.dirname(fileURLToPath(import.meta.resolve('@electric-sql/pglite')));
    for (let i = 0; i < 4; i++, dir = path.dirname(dir)) {
      const file = path.join(dir, 'package.json');
      if (!existsSync(file)) continue;
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === '@electric-sql/pglite' && pkg.version) {
        version = pkg.version;
        break;
      }
    }
  } catch {
    /* stays unknown: then only a template also made with an unknown version matches */
  }
  pgliteVersionCache = version;
  return version;
}

function migrationsOf(folder: string): { at: number; hash: string }[] {
  return readMigrationFiles({ migrationsFolder: folder }).map((m) => ({ at: m.folderMillis, hash: m.hash }));
}

export function readTemplateInfo(dir: string): PgliteTemplateInfo | undefined {
  try {
    const info = JSON.parse(readFileSync(path.join(dir, TEMPLATE_MARKER), 'utf8')) as PgliteTemplateInfo;
    if (!existsSync(path.join(dir, 'pglite', 'PG_VERSION'))) return undefined;
    return info;
  } catch {
    return undefined;
  }
}

/** The template's migrations are this folder's first ones, unchanged, and the same PGlite made it. */
export function templateFits(info: PgliteTemplateInfo, migrationsFolder: string): boolean {
  if (info.pglite !== pgliteVersion()) return false;
  const current = migrationsOf(migrationsFolder);
  if (info.migrations.length > current.length) return false;
  return info.migrations.every((m, i) => m.at === current[i]!.at && m.hash === current[i]!.hash);
}

/** The template exists and holds exactly this folder's migrations (the build skips making it again). */
export function templateIsCurrent(dir: string, migrationsFolder: string): boolean {
  const info = readTemplateInfo(dir);
  return (
    !!info && templateFits(info, migrationsFolder) && info.migrations.length === migrationsOf(migrationsFolder).length
  );
}

/**
 * Creates the migrated cluster in `dir` (replacing what is there): initdb, then every migration in
 * `migrationsFolder`, exactly as a first start would. Built beside `dir` and renamed into place.
 */
export async function buildPgliteTemplate(dir: string, migrationsFolder: string): Promise<PgliteTemplateInfo> {
  const building = `${dir}.building-${process.pid}`;
  rmSync(building, { recursive: true, force: true });
  mkdirSync(building, { recursive: true });
  const client = await PGlite.create({ dataDir: path.join(building, 'pglite'), extensions: { vector } });
  let systemIdentifier: string;
  try {
    await migrate(drizzle({ client }), { migrationsFolder });
    const rows = await client.query<{ s: string }>('select system_identifier::text as s from pg_control_system()');
    systemIdentifier = rows.rows[0]!.s;
    await client.exec('CHECKPOINT');
  } finally {
    await client.close();
  }
  const info: PgliteTemplateInfo = {
    pglite: pgliteVersion(),
    migrations: migrationsOf(migrationsFolder),
    systemIdentifier,
    createdAt: new Date().toISOString(),
  };
  writeFileSync(path.join(building, TEMPLATE_MARKER), JSON.stringify(info, null, 2) + '\n');
  rmSync(dir, { recursive: true, force: true });
  renameSync(building, dir);
  return info;
}

/** No cluster yet: the directory is missing or empty (PGlite would run initdb). */
export function isFreshCluster(pgdata: string): boolean {
  if (!existsSync(pgdata)) return true;
  return readdirSync(pgdata).length === 0;
}

/**
 * For a fresh DATA_DIR (the caller holds its lock): copies a fitting template's cluster to `pgdata`
 * and returns what it copied, or undefined when there is no fitting template (PGlite then runs initdb).
 * The copy goes to a sibling first and is renamed into place, so a crash mid-copy leaves no half cluster.
 */
export function seedFromTemplate(
  pgdata: string,
  migrationsFolder: string | (() => string),
  templateDir = pgliteTemplateDir(),
): PgliteTemplateInfo | undefined {
  if (!templateDir || !isFreshCluster(pgdata)) return undefined;
  const info = readTemplateInfo(templateDir);
  if (!info || !templateFits(info, typeof migrationsFolder === 'string' ? migrationsFolder : migrationsFolder()))
    return undefined;
  const partial = `${pgdata}.seeding-${process.pid}`;
  // Under the lock no other process is seeding: whatever an interrupted copy left goes.
  const parent = path.dirname(pgdata);
  for (const name of readdirSync(parent)) {
    if (name.startsWith(`${path.basename(pgdata)}.seeding-`))
      rmSync(path.join(parent, name), { recursive: true, force: true });
  }
  try {
    // A reflink where the filesystem has them (btrfs, XFS, APFS), else a plain copy.
    cpSync(path.join(templateDir, 'pglite'), partial, { recursive: true, mode: constants.COPYFILE_FICLONE });
    if (existsSync(pgdata)) rmdirSync(pgdata); // empty (isFreshCluster)
    renameSync(partial, pgdata);
    return info;
  } catch (error) {
    rmSync(partial, { recursive: true, force: true });
    // A filesystem refusal (no space, permissions): PGlite runs initdb instead, and reports it if it cannot
    // either. Anything else is a bug, not a reason to fall back silently.
    if (typeof (error as NodeJS.ErrnoException).code === 'string') return undefined;
    throw error;
  }
}
