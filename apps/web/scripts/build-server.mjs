// Bundles the server into apps/web/dist/server: workspace packages are
// inlined, third-party packages stay in node_modules (PGlite loads its WASM
// from there). Migrations are copied next to the bundle, where
// packages/db/src/migrate.ts looks for them, and the migrated embedded
// cluster is made in dist/pglite-template (packages/db/src/pglite-template.ts)
// unless the one there already holds exactly these migrations.
//
// QUARRY_SOURCEMAPS=off: no source maps (the production image).
// QUARRY_PGLITE_TEMPLATE=off: no template (the production image runs on PostgreSQL; at run time
// PGLITE_TEMPLATE=off does the same for one start).
import { cpSync, readFileSync, rmSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const web = fileURLToPath(new URL('../', import.meta.url));
const { version } = JSON.parse(readFileSync(`${root}package.json`, 'utf8'));

rmSync(`${web}dist/server`, { recursive: true, force: true });
rmSync(`${web}dist/migrations`, { recursive: true, force: true });

await build({
  // The extraction, embedding and database threads are their own entries: packages/ingest/src/extract/isolated.ts and
  // packages/ai/src/embedders/minilm/embedder.ts look for them beside cli.js.
  entryPoints: {
    cli: `${web}src/server/cli.ts`,
    'extract-worker': `${root}packages/ingest/src/extract/worker-entry.ts`,
    'minilm-worker': `${root}packages/ai/src/embedders/minilm/worker-entry.ts`,
    // The embedded database's own thread: packages/db/src/pglite-thread/client.ts looks for it beside cli.js.
    'pglite-worker': `${root}packages/db/src/pglite-thread/entry.ts`,
    // Used below to make dist/pglite-template; the server itself loads the same code through @quarry/db.
    'pglite-template': `${root}packages/db/src/pglite-template.ts`,
  },
  outdir: `${web}dist/server`,
  bundle: true,
  // cli.ts imports each command when it runs: with splitting those become chunks beside cli.js
  // (same directory, so paths resolved from import.meta.url stay right) and `help` loads none of them.
  splitting: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  sourcemap: process.env.QUARRY_SOURCEMAPS !== 'off',
  legalComments: 'none',
  define: { __QUARRY_VERSION__: JSON.stringify(version) },
  banner: { js: '#!/usr/bin/env node' },
  plugins: [
    {
      name: 'externalize-third-party',
      setup(b) {
        b.onResolve({ filter: /^[^./]/ }, (args) =>
          args.path.startsWith('@quarry/') ? undefined : { path: args.path, external: true },
        );
      },
    },
  ],
  logLevel: 'warning',
});

cpSync(`${root}packages/db/migrations`, `${web}dist/migrations`, { recursive: true });
console.log('server bundle → apps/web/dist/server/cli.js');

const templateDir = `${web}dist/pglite-template`;
if (process.env.QUARRY_PGLITE_TEMPLATE === 'off') {
  rmSync(templateDir, { recursive: true, force: true });
} else {
  const template = await import(pathToFileURL(`${web}dist/server/pglite-template.js`).href);
  if (!template.templateIsCurrent(templateDir, `${web}dist/migrations`)) {
    const started = performance.now();
    const info = await template.buildPgliteTemplate(templateDir, `${web}dist/migrations`);
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    console.log(`pre-initialised embedded database (${info.migrations.length} migrations, ${seconds} s) → apps/web/dist/pglite-template`);
  }
}
