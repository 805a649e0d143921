// Bundles the server into apps/web/dist/server: workspace packages are
// inlined, third-party packages stay in node_modules (PGlite loads its WASM
// from there). Migrations are copied next to the bundle, where
// packages/db/src/migrate.ts looks for them.
import { cpSync, readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const web = fileURLToPath(new URL('../', import.meta.url));
const { version } = JSON.parse(readFileSync(`${root}package.json`, 'utf8'));

rmSync(`${web}dist/server`, { recursive: true, force: true });
rmSync(`${web}dist/migrations`, { recursive: true, force: true });

await build({
  // The extraction and embedding threads are their own entries: packages/ingest/src/extract/isolated.ts and
  // packages/ai/src/embedders/minilm/embedder.ts look for them beside cli.js.
  entryPoints: {
    cli: `${web}src/server/cli.ts`,
    'extract-worker': `${root}packages/ingest/src/extract/worker-entry.ts`,
    'minilm-worker': `${root}packages/ai/src/embedders/minilm/worker-entry.ts`,
  },
  outdir: `${web}dist/server`,
  bundle: true,
  // cli.ts imports each command when it runs: with splitting those become chunks beside cli.js
  // (same directory, so paths resolved from import.meta.url stay right) and `help` loads none of them.
  splitting: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  sourcemap: true,
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
