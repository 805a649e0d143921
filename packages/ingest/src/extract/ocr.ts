/**
 * Optical character recognition with tesseract.js (Tesseract compiled to
 * WebAssembly), entirely offline: the WebAssembly core is `require`d from the
 * tesseract.js-core package, the English model is read from the
 * @tesseract.js-data/eng package on disk, and nothing is cached or written
 * (`cacheMethod: 'none'`). tesseract.js falls back to a CDN only when no
 * `langPath` is given, so one is always given (ocr.test.ts runs it with the
 * network cut off).
 *
 * Runs inside the extraction process (see isolated.ts): its memory limit and
 * deadline cover Tesseract too (tesseract.js runs it in a worker thread of
 * that process). One Tesseract worker per document, ended with it: it holds
 * ~100 MB that the next (non-scanned) document should not pay for.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { ExtractionError } from './types.js';

const require = createRequire(import.meta.url);

/** Directory holding `eng.traineddata.gz` (the LSTM "best_int" model, the one tesseract.js uses by default). */
export function languageDir(): string {
  return path.join(path.dirname(require.resolve('@tesseract.js-data/eng/package.json')), '4.0.0_best_int');
}

export interface OcrResult {
  text: string;
  /** Tesseract's mean word confidence, 0–100. */
  confidence: number;
}

export interface OcrEngine {
  recognize(image: Uint8Array): Promise<OcrResult>;
  close(): Promise<void>;
}

type TesseractWorker = { recognize(image: Buffer): Promise<{ data: { text: string; confidence: number } }>; terminate(): Promise<unknown> };

/** Starts Tesseract for English. Throws ExtractionError when it cannot start (a broken install, too little memory). */
export async function startOcr(): Promise<OcrEngine> {
  let worker: TesseractWorker;
  try {
    const tesseract = (await import('tesseract.js')).default as unknown as {
      createWorker(lang: string, oem: number, options: Record<string, unknown>): Promise<TesseractWorker>;
    };
    worker = await tesseract.createWorker('eng', 1 /* LSTM only */, {
      langPath: languageDir(),
      cacheMethod: 'none',
      gzip: true,
      // Explicit, so that no default can point elsewhere: the worker script and core inside node_modules.
      workerPath: require.resolve('tesseract.js/src/worker-script/node/index.js'),
      corePath: path.dirname(require.resolve('tesseract.js-core/package.json')),
      logger: () => {},
      errorHandler: () => {},
    });
  } catch (error) {
    throw new ExtractionError(`text recognition (OCR) could not start (${String((error as Error)?.message ?? error).slice(0, 120)})`);
  }
  return {
    async recognize(image) {
      const { data } = await worker.recognize(Buffer.from(image.buffer, image.byteOffset, image.byteLength));
      return { text: data.text ?? '', confidence: data.confidence ?? 0 };
    },
    async close() {
      await worker.terminate().catch(() => {});
    },
  };
}
