/**
 * DOCX via mammoth (to HTML, so headings and tables survive), after the zip
 * has been checked with yauzl: entry count, declared sizes, and the real
 * inflated size of every XML part (yauzl stops an entry that inflates past its
 * declared size), so a zip bomb fails before mammoth inflates anything.
 */
import mammoth from 'mammoth';
import yauzl from 'yauzl';
import { extractHtml } from './html.js';
import { ExtractionError, type Extracted, type ExtractLimits } from './types.js';

function openZip(buffer: Buffer): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) =>
    yauzl.fromBuffer(buffer, { lazyEntries: true, validateEntrySizes: true, strictFileNames: false }, (err, zip) =>
      err || !zip ? reject(err ?? new Error('no zip')) : resolve(zip),
    ),
  );
}

/** Throws ExtractionError unless the archive is a plausible, bounded DOCX. */
export async function checkDocxArchive(buffer: Buffer, limits: ExtractLimits): Promise<void> {
  let zip: yauzl.ZipFile;
  try {
    zip = await openZip(buffer);
  } catch {
    throw new ExtractionError('the Word document is damaged (its zip structure cannot be read)');
  }
  try {
    if (zip.entryCount > limits.maxZipEntries) {
      throw new ExtractionError(`the Word document has ${zip.entryCount} parts; at most ${limits.maxZipEntries} are allowed`);
    }
    let declared = 0;
    let inflated = 0;
    let hasDocument = false;
    await new Promise<void>((resolve, reject) => {
      zip.on('error', reject);
      zip.on('end', resolve);
      zip.on('entry', (entry: yauzl.Entry) => {
        declared += entry.uncompressedSize;
        if (declared > limits.maxUncompressedBytes) {
          reject(new ExtractionError(`the Word document would inflate to more than ${Math.round(limits.maxUncompressedBytes / 1048576)} MB (a zip bomb?)`));
          return;
        }
        if (entry.fileName === 'word/document.xml') hasDocument = true;
        // XML parts are what mammoth inflates: measure them for real.
        if (!/\.(xml|rels)$/i.test(entry.fileName)) {
          zip.readEntry();
          return;
        }
        zip.openReadStream(entry, (err, stream) => {
          if (err || !stream) return reject(err ?? new Error('unreadable entry'));
          stream.on('data', (chunk: Buffer) => {
            inflated += chunk.length;
            if (inflated > limits.maxUncompressedBytes) stream.destroy(new ExtractionError('the Word document inflates far beyond its size (a zip bomb?)'));
          });
          stream.on('error', reject);
          stream.on('end', () => zip.readEntry());
        });
      });
      zip.readEntry();
    }).catch((error: unknown) => {
      if (error instanceof ExtractionError) throw error;
      throw new ExtractionError(`the Word document is damaged (${(error as Error).message.slice(0, 120)})`);
    });
    if (!hasDocument) throw new ExtractionError('the zip archive is not a Word document (no word/document.xml)');
  } finally {
    zip.close();
  }
}

export async function extractDocx(bytes: Uint8Array, limits: ExtractLimits): Promise<Extracted> {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  await checkDocxArchive(buffer, limits);
  let html: string;
  try {
    const result = await mammoth.convertToHtml(
      { buffer },
      // Images are never read: only their alt text matters.
      { convertImage: mammoth.images.imgElement(async () => ({ src: '' })) },
    );
    html = result.value;
  } catch (error) {
    throw new ExtractionError(`the Word document cannot be read (${(error as Error).message.slice(0, 120)})`);
  }
  if (html.length > limits.maxTextChars * 2) throw new ExtractionError(`the Word document holds more than ${limits.maxTextChars} characters of text`);
  return extractHtml(html);
}
