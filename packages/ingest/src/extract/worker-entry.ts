/**
 * The extraction process: parses untrusted files, and splits them into
 * passages, away from the server's event loop and under an OS memory limit
 * (see `isolated.ts`), so a parser that spins or balloons can be killed
 * without taking the server down. One message in, one message out, per
 * document; "ready" once listening.
 */
import { chunkBlocks, type ChunkOptions } from '../chunk.js';
import { extractDocument, ExtractionError, type ExtractLimits } from './index.js';

export interface ExtractRequest {
  id: number;
  bytes: Uint8Array;
  mime: string;
  limits: ExtractLimits;
  /** When present, the reply carries passages instead of blocks. */
  chunk?: ChunkOptions;
}

/**
 * What a failure was: too much memory, or anything else about these bytes (`extraction`). Extraction is pure
 * (no I/O but the bytes given), so every failure here is deterministic: retrying the same bytes cannot help.
 */
export type ReplyErrorKind = 'extraction' | 'memory';

/** V8 and Node throw these when an allocation is refused (here: the process's data limit). */
const ALLOCATION_FAILED = /allocation failed|out of memory|Invalid (typed )?array (buffer )?length/i;

function send(message: unknown): Promise<void> {
  return new Promise((resolve) => process.send!(message, undefined, undefined, () => resolve()));
}

async function handle(request: ExtractRequest): Promise<void> {
  try {
    const t0 = performance.now();
    // Progress ("OCR page 3 of 40") goes out as it happens, at most every 250 ms; the last word is the reply.
    let last = 0;
    const progress = (message: string) => {
      const now = performance.now();
      if (now - last < 250) return;
      last = now;
      process.send!({ id: request.id, progress: message.slice(0, 120) });
    };
    const extracted = await extractDocument(request.bytes, request.mime, request.limits, { progress });
    if (!request.chunk) {
      await send({ id: request.id, ok: true, result: extracted });
      return;
    }
    const t1 = performance.now();
    const passages = chunkBlocks(extracted.blocks, request.chunk);
    const t2 = performance.now();
    await send({
      id: request.id,
      ok: true,
      result: {
        passages,
        pageCount: extracted.pageCount,
        title: extracted.title,
        ocrPages: extracted.ocrPages,
        ...(extracted.attachments?.length ? { attachments: extracted.attachments } : {}),
        extractMs: t1 - t0,
        splitMs: t2 - t1,
      },
    });
  } catch (error) {
    const raw = error instanceof Error ? error.message : String(error);
    const kind: ReplyErrorKind = ALLOCATION_FAILED.test(raw) ? 'memory' : 'extraction';
    // A parser's own exception (a PDF whose page tree loops, say) becomes a reason its owner can read.
    const message = error instanceof ExtractionError ? raw : `the file cannot be read (${raw.slice(0, 160) || 'parser error'})`;
    await send({ id: request.id, ok: false, kind, message: message.slice(0, 300) });
    // A refused allocation can leave a library half-done: start afresh.
    if (kind === 'memory') process.exit(0);
  }
}

if (process.send) {
  process.on('message', (request: ExtractRequest) => void handle(request));
  // The server went away: so do we.
  process.on('disconnect', () => process.exit(0));
  process.send({ ready: true });
}
