/**
 * Streams a multipart upload: resolves as soon as the `file` part starts, so
 * the service reads the file straight from the socket — never buffered whole.
 * Other fields (e.g. `title`) are available once the body has been read.
 */
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import busboy from 'busboy';
import { badRequest, unsupportedMediaType } from './errors.js';

export interface StreamedUpload {
  filename: string;
  stream: Readable;
  /** Every text field, once the whole body has been parsed. */
  fields(): Promise<Record<string, string>>;
}

export function parseUpload(request: Request, options: { maxFileBytes: number; fileField?: string }): Promise<StreamedUpload> {
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
    return Promise.reject(badRequest('file: the multipart body is malformed.', 'invalid_request', { field: 'file' }));
  }
  const fields: Record<string, string> = {};
  let fileSeen = false;
  const closed = new Promise<Record<string, string>>((resolve, reject) => {
    parser.on('close', () => resolve(fields));
    parser.on('error', reject);
  });
  closed.catch(() => {});
  return new Promise<StreamedUpload>((resolve, reject) => {
    parser.on('field', (name, value) => {
      fields[name] = value;
    });
    parser.on('file', (name, stream, info) => {
      if (name !== fileField || fileSeen) {
        stream.resume();
        return;
      }
      fileSeen = true;
      resolve({ filename: info.filename ?? 'document', stream, fields: () => closed });
    });
    parser.on('close', () => {
      if (!fileSeen) reject(badRequest('file: no file was sent (multipart field "file").', 'invalid_request', { field: 'file' }));
    });
    parser.on('error', () => reject(badRequest('file: the multipart body is malformed.', 'invalid_request', { field: 'file' })));
    const source = Readable.fromWeb(request.body as unknown as WebReadableStream<Uint8Array>);
    source.on('error', (error) => parser.destroy(error));
    source.pipe(parser);
  });
}
