// `npm run build`: the UI (Vite), the server bundle (build-server.mjs) and the pre-initialised embedded
// database (dist/pglite-template), then a stamp that records when the build started.
//
// `--if-changed` (what `npm start` runs): builds only when an input is newer than the last complete
// build's start, or an output is missing; otherwise it returns at once. Inputs are the sources,
// manifests, lockfile, build configuration and the installed dependencies (npm rewrites
// node_modules/.package-lock.json on every install). Tests do not count.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const web = fileURLToPath(new URL('../', import.meta.url));
const stampFile = path.join(web, 'dist', '.build-stamp.json');
const outputs = ['dist/server/cli.js', 'dist/ui/index.html', 'dist/migrations/meta/_journal.json'].map((f) =>
  path.join(web, f),
);

const skipDirs = new Set(['node_modules', 'dist', 'test', 'tests', '__tests__', 'pglite-template']);
const isTest = (name) => /\.(test|spec)\.[cm]?[jt]sx?$/.test(name);

/** The newest modification time under `target` (a file or a directory), and which file it is. */
function newest(target, acc = { ms: 0, file: '' }) {
  let stat;
  try {
    stat = statSync(target);
  } catch {
    return acc;
  }
  if (!stat.isDirectory()) {
    if (stat.mtimeMs > acc.ms) return { ms: stat.mtimeMs, file: target };
    return acc;
  }
  for (const entry of readdirSync(target, { withFileTypes: true })) {
    if (entry.isDirectory() ? skipDirs.has(entry.name) : isTest(entry.name)) continue;
    acc = newest(path.join(target, entry.name), acc);
  }
  return acc;
}

function inputs() {
  const list = [
    'package.json',
    'package-lock.json',
    'tsconfig.json',
    'tsconfig.base.json',
    'node_modules/.package-lock.json',
    'apps/web/package.json',
    'apps/web/vite.config.ts',
    'apps/web/scripts',
    'apps/web/src',
  ];
  for (const pkg of readdirSync(path.join(root, 'packages'))) {
    list.push(`packages/${pkg}/package.json`, `packages/${pkg}/src`, `packages/${pkg}/migrations`);
  }
  return list.map((p) => path.join(root, p));
}

/** Why a build is needed, or undefined when the last complete build is newer than every input. */
export function staleReason() {
  const missing = outputs.find((f) => !existsSync(f));
  if (missing) return `${path.relative(root, missing)} is missing`;
  let stamp;
  try {
    stamp = JSON.parse(readFileSync(stampFile, 'utf8'));
  } catch {
    return 'no complete build recorded';
  }
  let latest = { ms: 0, file: '' };
  for (const input of inputs()) latest = newest(input, latest);
  // Inputs changed while the last build ran count as changed (the stamp holds its start).
  if (latest.ms >= stamp.startedMs) return `${path.relative(root, latest.file)} changed since the last build`;
  return undefined;
}

async function build() {
  const startedMs = Date.now();
  rmSync(stampFile, { force: true });
  process.chdir(web); // vite.config.ts's root is relative to the working directory
  const { build: viteBuild } = await import('vite');
  await viteBuild({ configFile: path.join(web, 'vite.config.ts'), logLevel: 'warn' });
  await import(pathToFileURL(path.join(web, 'scripts', 'build-server.mjs')).href);
  mkdirSync(path.dirname(stampFile), { recursive: true });
  writeFileSync(stampFile, JSON.stringify({ startedMs, finishedMs: Date.now() }) + '\n');
}

const ifChanged = process.argv.includes('--if-changed');
const reason = ifChanged ? staleReason() : 'asked';
if (reason === undefined) {
  process.exit(0);
}
if (ifChanged) console.log(`building: ${reason}`);
await build();
