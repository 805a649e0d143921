/**
 * Streams a multipart upload: resolves as soon as the `file` part starts, so
 * the service reads the file straight from the socket — never buffered whole.
 * Other fields (e.g. `title`) are available once the body has been read.
 *
 * Every way the body can fail reaches the service as an AppError on the file
 * stream, so the upload is discarded and answered precisely (issue 14 #9):
 * a body that ends before its closing boundary → 400 `incomplete_upload`; a
 * client sending slower than the minimum rate → 408 `upload_too_slow`.
 */
import { PassThrough, Readable, Transform } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import busboy from 'busboy';
import { AppError, badRequest, unsupportedMediaType } from './errors.js';

export interface StreamedUpload {
  filename: string;
  stream: Readable;
  /** Every text field, once the whole body has been parsed. */
  fields(): Promise<Record<string, string>>;
}

/** The slowest upload accepted: after `graceMs`, the body must average `minBytesPerSecond` since the request began. */
export interface MinimumRate {
  minBytesPerSecond: number;
  graceMs: number;
}

export interface UploadOptions {
  maxFileBytes: number;
  fileField?: string;
  /** Off when absent or when `minBytesPerSecond` is 0. */
  minimumRate?: MinimumRate;
}

const incomplete = () =>
  badRequest('file: the upload ended before the multipart body was complete (no closing boundary). Nothing was stored.', 'incomplete_upload', { field: 'file' });
const malformed = () => badRequest('file: the multipart body is malformed.', 'invalid_request', { field: 'file' });

export const uploadTooSlow = (rate: MinimumRate) =>
  new AppError(
    408,
    'upload_too_slow',
    `The upload arrived slower than ${rate.minBytesPerSecond} bytes per second (the minimum, after ${Math.round(rate.graceMs / 1000)} s) and was stopped. Nothing was stored.`,
    {},
    { Connection: 'close' },
  );

/** The request's failure as the error the API answers with. */
function asUploadError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  const message = error instanceof Error ? error.message : '';
  // busboy's words when the body stops inside a part or before the final boundary.
  if (/^Unexpected end of (form|file)/.test(message)) return incomplete();
  return malformed();
}

/**
 * Counts the body's bytes and, once the grace period is over, destroys the stream with a 408 when
 * the average since the start is below the minimum. A timer (not only the arrival of data) checks,
 * so a client that sends nothing at all is cut too. Averaging from the start lets a fast beginning
 * pay for a short stall later; it also counts any time the server itself took to accept the bytes,
 * which at the default (1 KiB/s) matters only for trickles.
 */
function rateMeter(rate: MinimumRate): Transform {
  const started = Date.now();
  let received = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      received += chunk.length;
      callback(null, chunk);
    },
  });
  const tickMs = Math.max(100, Math.min(1000, Math.floor(rate.graceMs / 4)));
  const timer = setInterval(() => {
    const elapsedMs = Date.now() - started;
    if (elapsedMs >= rate.graceMs && received < (rate.minBytesPerSecond * elapsedMs) / 1000) {
      clearInterval(timer);
      meter.destroy(uploadTooSlow(rate));
    }
  }, tickMs);
  timer.unref();
  const stop = () => clearInterval(timer);
  // The body has been read (or failed): nothing left to judge.
  meter.once('end', stop);
  meter.once('finish', stop);
  meter.once('close', stop);
  return meter;
}

export function parseUpload(request: Request, options: UploadOptions): Promise<StreamedUpload> {
  const fileField = options.fileField ?? 'file';
  const contentType = request.headers.get('content-type') ?? '';
  if (!contentType.toLowerCase().startsWith('multipart/form-data')) {
    return Promise.reject(unsupportedMediaType('Uploads must be multipart/form-data with the file in the "file" field.'));
  }
  if (!request.body) return Promise.reject(badRequest('file: the request has no body.', 'invalid_request', { field: 'file' }));
  let parser: busboy.Busboy;
  try {
    parser = busboy({
      headers: { 'content-type': contentType },
      defParamCharset: 'utf8',
      // One byte over the limit is enough to know it is too large.
      limits: { files: 1, fileSize: options.maxFileBytes + 1, fields: 10, fieldSize: 4096, parts: 20 },
    });
  } catch {
    return Promise.reject(malformed());
  }
  const fields: Record<string, string> = {};
  let fileSeen = false;
  const closed = new Promise<Record<string, string>>((resolve, reject) => {
    parser.on('close', () => resolve(fields));
    parser.on('error', (error) => reject(asUploadError(error)));
  });
  closed.catch(() => {});
  return new Promise<StreamedUpload>((resolve, reject) => {
    parser.on('field', (name, value) => {
      fields[name] = value;
    });
    parser.on('file', (name, file, info) => {
      if (name !== fileField || fileSeen) {
        file.resume();
        return;
      }
      fileSeen = true;
      // The service reads this pass-through: busboy's own stream fails with plain Errors, this one with
      // the AppError the request deserves. Piping keeps backpressure; nothing is buffered beyond it.
      const out = new PassThrough();
      Object.defineProperty(out, 'truncated', { get: () => (file as Readable & { truncated?: boolean }).truncated === true });
      // Whoever reads `out` sees its error through its own listener; this one keeps an error that comes
      // when nobody is reading yet (or any more) from becoming an uncaught exception that ends the process.
      out.on('error', () => {});
      file.on('error', (error) => out.destroy(asUploadError(error)));
      file.pipe(out);
      resolve({ filename: info.filename ?? 'document', stream: out, fields: () => closed });
    });
    parser.on('close', () => {
      if (!fileSeen) reject(badRequest('file: no file was sent (multipart field "file").', 'invalid_request', { field: 'file' }));
    });
    parser.on('error', (error) => reject(asUploadError(error)));
    const source = Readable.fromWeb(request.body as unknown as WebReadableStream<Uint8Array>);
    source.on('error', (error) => parser.destroy(error));
    const rate = options.minimumRate;
    if (rate && rate.minBytesPerSecond > 0) {
      const meter = rateMeter(rate);
      // The meter unpipes itself from the socket; the 408 (Connection: close) ends the exchange.
      meter.on('error', (error) => parser.destroy(error));
      source.pipe(meter).pipe(parser);
    } else source.pipe(parser);
  });
}
