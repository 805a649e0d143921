/**
 * The extraction thread: parses untrusted files away from the event loop, so
 * a parser that spins or balloons can be terminated without taking the
 * process down. One message in, one message out, per document.
 */
import { parentPort } from 'node:worker_threads';
import { extractDocument, ExtractionError, type ExtractLimits } from './index.js';

export interface ExtractRequest {
  id: number;
  bytes: Uint8Array;
  mime: string;
  limits: ExtractLimits;
}

parentPort?.on('message', (request: ExtractRequest) => {
  extractDocument(request.bytes, request.mime, request.limits).then(
    (result) => parentPort!.postMessage({ id: request.id, ok: true, result }),
    (error: unknown) =>
      parentPort!.postMessage({
        id: request.id,
        ok: false,
        extraction: error instanceof ExtractionError,
        message: error instanceof Error ? error.message : String(error),
      }),
  );
});
