/**
 * The embedding thread: opens the model once (session.ts), then embeds the
 * batches the host sends, one at a time. Bundled as `minilm-worker.js` beside
 * the server bundle (apps/web/scripts/build-server.mjs); run from source via tsx.
 */
import { parentPort } from 'node:worker_threads';
import type { FromWorker, ToWorker } from './protocol.js';
import { openMiniLmSession, type MiniLmSession } from './session.js';

const port = parentPort;
if (!port) throw new Error('minilm worker-entry must run in a worker thread');

// ONNX Runtime's JS layer warns through the console: keep that (and any text) out of the server's
// output, which is pino's JSON lines. Silenced here rather than by capturing the thread's stdio in
// the host: a captured stream being read holds the thread's port referenced, so a process whose
// work was done never exited (bench:eval hung after its report).
const discard = (() => true) as typeof process.stdout.write;
process.stdout.write = discard;
process.stderr.write = discard;
for (const method of ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const) console[method] = () => {};

let session: MiniLmSession | undefined;
const send = (message: FromWorker, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);
const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

port.on('message', (message: ToWorker) => {
  if (message.type === 'init') {
    openMiniLmSession(message).then(
      (opened) => {
        session = opened;
        send({ type: 'ready', info: opened.info });
      },
      (error: unknown) => send({ type: 'fatal', message: messageOf(error) }),
    );
    return;
  }
  if (!session) return send({ type: 'error', id: message.id, message: 'the model is not loaded yet' });
  session.embed(message.texts, message.maxTokens).then(
    (vectors) => send({ type: 'result', id: message.id, vectors }, [vectors.buffer as ArrayBuffer]),
    (error: unknown) => send({ type: 'error', id: message.id, message: messageOf(error) }),
  );
});
