/**
 * Listens with @hono/node-server and knows how to stop gracefully: stop
 * accepting, let in-flight requests finish within a bound, then cut the rest.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve as serveNode } from '@hono/node-server';

export interface Listening {
  server: Server;
  port: number;
  /** Resolves when every connection is closed (in-flight requests finished or cut after the timeout). */
  close(): Promise<{ forced: boolean }>;
}

export async function listen(
  fetch: (request: Request) => Response | Promise<Response>,
  options: { host: string; port: number; shutdownTimeoutMs: number },
): Promise<Listening> {
  const server = await new Promise<Server>((resolve, reject) => {
    const s = serveNode({ fetch, hostname: options.host, port: options.port }, () => resolve(s as Server));
    s.once('error', reject);
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise((resolve) => {
        let forced = false;
        const timer = setTimeout(() => {
          forced = true;
          server.closeAllConnections();
        }, options.shutdownTimeoutMs);
        timer.unref();
        server.close(() => {
          clearTimeout(timer);
          resolve({ forced });
        });
        // Keep-alive sockets with no request in flight would hold close() open.
        server.closeIdleConnections();
      }),
  };
}
