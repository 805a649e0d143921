/**
 * The thread that owns the embedded database (see client.ts): opens PGlite on
 * the directory it is given and answers the main thread's messages one at a
 * time, as PGlite itself would. A transaction stays open across messages until
 * the main thread ends it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { PGlite, type Transaction } from '@electric-sql/pglite';
import { pgliteOptions, type SharedBuffers } from '../pglite-options.js';
import { serializeError, type FromThread, type QueryOptions, type ToThread } from './protocol.js';

const port = parentPort!;
const { dataDir, sharedBuffers } = workerData as { dataDir: string; sharedBuffers: SharedBuffers };
const send = (message: FromThread) => port.postMessage(message);

const asText = (value: string) => value;
function queryOptions(options: QueryOptions | undefined) {
  if (!options) return undefined;
  const parsers = Object.fromEntries((options.rawTypes ?? []).map((oid) => [oid, asText]));
  return { ...(options.rowMode ? { rowMode: options.rowMode } : {}), parsers };
}

interface OpenTransaction {
  tx: Transaction;
  end: (commit: boolean) => void;
  done: Promise<void>;
}

let db: PGlite;
const transactions = new Map<number, OpenTransaction>();

/** The transaction's own handle for statements inside it, the database for the rest. */
function target(tx: number | undefined): Pick<PGlite, 'query' | 'exec'> {
  if (tx === undefined) return db;
  const open = transactions.get(tx);
  if (!open) throw new Error(`transaction ${tx} is not open`);
  return open.tx;
}

class Rollback extends Error {}

function begin(txId: number): Promise<void> {
  return new Promise<void>((started, failed) => {
    let end!: (commit: boolean) => void;
    const ended = new Promise<boolean>((resolve) => (end = resolve));
    const done = db
      .transaction(async (tx) => {
        transactions.set(txId, { tx, end, done });
        started();
        if (!(await ended)) throw new Rollback();
      })
      .then(
        () => undefined,
        (error: unknown) => {
          if (!(error instanceof Rollback)) throw error;
        },
      )
      .finally(() => transactions.delete(txId));
    // BEGIN itself failed: the callback never ran.
    done.catch(failed);
  });
}

async function handle(message: ToThread): Promise<unknown> {
  switch (message.type) {
    case 'query': {
      const result = await target(message.tx).query(message.sql, message.params, queryOptions(message.options));
      return result;
    }
    case 'exec':
      return target(message.tx).exec(message.sql);
    case 'begin':
      return begin(message.tx);
    case 'end': {
      const open = transactions.get(message.tx);
      if (!open) throw new Error(`transaction ${message.tx} is not open`);
      open.end(message.commit);
      await open.done;
      return undefined;
    }
    case 'close':
      await db.close();
      return undefined;
  }
}

port.on('message', (message: ToThread) => {
  handle(message).then(
    (value) => send({ type: 'reply', id: message.id, value }),
    (error: unknown) => send({ type: 'error', id: message.id, error: serializeError(error) }),
  );
});

try {
  db = await PGlite.create(pgliteOptions(dataDir, sharedBuffers));
  send({ type: 'ready' });
} catch (error) {
  send({ type: 'failed', error: serializeError(error) });
}
