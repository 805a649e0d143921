/**
 * A real Quarry server in the test process: the same runtime and HTTP app as
 * `quarry serve`, on a free 127.0.0.1 port, spoken to over real HTTP. Uses
 * PGlite (from the migrated template), or PostgreSQL when the driver says so.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '@quarry/config';
import { createHttpApp } from '../../apps/web/src/server/http/app.js';
import { listen, type Listening } from '../../apps/web/src/server/http/listen.js';
import { mountApi, type RouteGroup } from '../../apps/web/src/server/http/routes/index.js';
import { createLogger, type Logger } from '../../apps/web/src/server/logger.js';
import { startRuntime, type Runtime, type RuntimeOptions } from '../../apps/web/src/server/runtime.js';
import { freshTarget } from './databases.js';
import { copyPgliteTemplate } from './pglite-template.js';

export interface TestApp {
  url: string;
  origin: string;
  runtime: Runtime;
  dataDir: string;
  /** Stops the server and closes the database, keeping the data. */
  stop(): Promise<void>;
  /** Stops and deletes everything. */
  dispose(): Promise<void>;
}

export interface TestAppOptions {
  env?: Record<string, string>;
  driver?: 'pglite' | 'postgres';
  /** Reuse the data of a stopped app (restart). */
  reuse?: { dataDir: string; databaseUrl?: string };
  extraRoutes?: RouteGroup[];
  runtime?: RuntimeOptions;
  /** A logger to capture what the server logs (default: silent). */
  logger?: Logger;
}

export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp & { databaseUrl?: string }> {
  const dataDir = options.reuse?.dataDir ?? mkdtempSync(path.join(tmpdir(), 'quarry-app-'));
  let databaseUrl = options.reuse?.databaseUrl;
  let cleanupDb = async () => {};
  if (!options.reuse) {
    if ((options.driver ?? 'pglite') === 'pglite') await copyPgliteTemplate(dataDir);
    else {
      const fresh = await freshTarget('postgres');
      databaseUrl = fresh.target.kind === 'postgres' ? fresh.target.url : undefined;
      cleanupDb = fresh.cleanup;
    }
  }
  // Bind before the runtime starts, on port 0 unless a test must know the port in advance (an OIDC
  // client's redirect URI passes env.PORT). Picking a free port and binding it seconds later raced the
  // other test files running in parallel: CI once met EADDRINUSE here.
  // The node adapter passes (request, { incoming, outgoing }): the client's address comes from there, so forward all.
  const late: { fetch?: ReturnType<typeof createHttpApp>['fetch'] } = {};
  const server: Listening = await listen(
    (request: Request, ...rest: unknown[]) =>
      late.fetch ? late.fetch(request, ...rest) : Response.json({ error: 'starting' }, { status: 503 }),
    {
      host: '127.0.0.1',
      port: options.env?.PORT ? Number(options.env.PORT) : 0,
      shutdownTimeoutMs: 2000,
    },
  );
  const port = server.port;
  const config = loadConfig({
    NODE_ENV: 'test',
    DATA_DIR: dataDir,
    PORT: String(port),
    LOG_LEVEL: 'silent',
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
    ...options.env,
  });
  const logger = options.logger ?? createLogger({ level: 'silent', pretty: false });
  const runtime = await startRuntime(config, logger, options.runtime).catch(async (error: unknown) => {
    await server.close();
    throw error;
  });
  const app = createHttpApp({
    logger,
    health: {
      pingDatabase: (timeoutMs) => runtime.database.ping(timeoutMs),
      ...(runtime.database.activeMs ? { databaseActiveMs: () => runtime.database.activeMs!() } : {}),
      storage: () => runtime.storage.check(),
      queue: () => runtime.worker.queue.counts(5_000),
    },
    mount: mountApi(runtime.services, options.extraRoutes),
  });
  late.fetch = app.fetch;
  const stop = async () => {
    await server.close();
    await runtime.close();
  };
  return {
    url: `http://127.0.0.1:${port}`,
    origin: `http://127.0.0.1:${port}`,
    runtime,
    dataDir,
    databaseUrl,
    stop,
    dispose: async () => {
      await stop();
      await cleanupDb();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A browser-like client: keeps cookies, sends the app's Origin on writes. */
export class TestClient {
  private cookies = new Map<string, string>();
  constructor(
    readonly app: { url: string; origin: string },
    private readonly headers: Record<string, string> = {},
  ) {}

  async request(
    method: string,
    path: string,
    body?: unknown,
    extraHeaders: Record<string, string> = {},
  ): Promise<Response> {
    const headers: Record<string, string> = { origin: this.app.origin, ...this.headers, ...extraHeaders };
    if (this.cookies.size) headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    let payload: BodyInit | undefined;
    if (body instanceof FormData) payload = body;
    else if (body !== undefined) {
      headers['content-type'] = 'application/json';
      payload = JSON.stringify(body);
    }
    const res = await fetch(`${this.app.url}${path}`, { method, headers, body: payload, redirect: 'manual' });
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const [name, ...value] = pair!.split('=');
      if (/max-age=0/i.test(line) || value.join('=') === '') this.cookies.delete(name!.trim());
      else this.cookies.set(name!.trim(), value.join('='));
    }
    return res;
  }

  async json<T = any>(method: string, path: string, body?: unknown, expectStatus?: number): Promise<T> {
    const res = await this.request(method, path, body);
    const text = await res.text();
    if (expectStatus !== undefined && res.status !== expectStatus) {
      throw new Error(`${method} ${path}: expected ${expectStatus}, got ${res.status}: ${text}`);
    }
    return (text ? JSON.parse(text) : undefined) as T;
  }

  cookieHeader() {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  async signUp(email: string, extra: Record<string, unknown> = {}, password = 'correct horse battery staple') {
    return this.json('POST', '/api/auth/sign-up/email', { email, password, name: email.split('@')[0], ...extra }, 200);
  }

  async signIn(email: string, password = 'correct horse battery staple') {
    return this.request('POST', '/api/auth/sign-in/email', { email, password });
  }
}
