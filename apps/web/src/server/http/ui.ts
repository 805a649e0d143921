/**
 * Serves the built UI: hashed assets are immutable, index.html is never cached,
 * and any non-/api path falls back to index.html so client routes deep-link.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { serveStatic } from '@hono/node-server/serve-static';
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from './context.js';

/** Bundled: dist/server/cli.js → dist/ui. Source: src/server/http/ui.ts → dist/ui. */
export function findUiDir(): string | undefined {
  for (const rel of ['../ui', '../../../dist/ui']) {
    const dir = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(`${dir}/index.html`)) return dir;
  }
  return undefined;
}

export function serveUi(dir: string) {
  const indexHtml = readFileSync(`${dir}/index.html`, 'utf8');
  return (app: OpenAPIHono<AppEnv>) => {
    app.use(
      '/assets/*',
      serveStatic({
        root: dir,
        onFound: (_path, c) => {
          c.header('Cache-Control', 'public, max-age=31536000, immutable');
        },
      }),
    );
    app.use('*', serveStatic({ root: dir, index: 'no-index.html' }));
    app.get('*', (c) => {
      c.header('Cache-Control', 'no-cache');
      return c.html(indexHtml);
    });
  };
}
