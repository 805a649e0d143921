/**
 * A small HTTP server on 127.0.0.1 that speaks the OpenAI embeddings wire
 * format. Vectors come from the local hashed embedder (so similar texts are
 * near), and `failNext` scripts error statuses to prove retries.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLocalEmbedder } from '@quarry/ai';

export interface FakeOpenAI {
  baseUrl: string;
  /** Statuses to answer with, in order, before answering normally again. */
  failNext(...statuses: number[]): void;
  /** Every request seen: model, number of inputs, status answered. */
  requests: Array<{ model: string; inputs: number; status: number; authorization?: string; path: string }>;
  close(): Promise<void>;
}

export async function startFakeOpenAI(options: { dimensions?: number } = {}): Promise<FakeOpenAI> {
  const dimensions = options.dimensions ?? 64;
  const embedder = createLocalEmbedder({ dimensions });
  const failures: number[] = [];
  const requests: FakeOpenAI['requests'] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        let body: { model?: string; input?: string[] | string } = {};
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof body;
        } catch {
          /* answered below */
        }
        const inputs = Array.isArray(body.input) ? body.input : typeof body.input === 'string' ? [body.input] : [];
        const record = { model: String(body.model), inputs: inputs.length, authorization: req.headers.authorization, path: `${req.method} ${req.url}` };
        const status = failures.shift();
        if (req.url !== '/v1/embeddings' || req.method !== 'POST') {
          requests.push({ ...record, status: 404 });
          res.writeHead(404).end();
          return;
        }
        if (status !== undefined) {
          requests.push({ ...record, status });
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: { message: `scripted ${status}`, type: 'test' } }));
          return;
        }
        const vectors = await embedder.embed(inputs, 'passage');
        requests.push({ ...record, status: 200 });
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            object: 'list',
            model: body.model,
            data: vectors.map((embedding, index) => ({ object: 'embedding', index, embedding })),
            usage: { prompt_tokens: inputs.length, total_tokens: inputs.length },
          }),
        );
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    failNext: (...statuses) => failures.push(...statuses),
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
