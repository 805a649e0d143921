/**
 * Reading the parts of zip-based documents (PPTX, XLSX, OpenDocument, EPUB)
 * under the same zip-bomb limits as DOCX: the entry count and the declared
 * sizes are checked before anything inflates, and the parts that are read are
 * counted as they inflate (yauzl also stops an entry that inflates past its
 * declared size), so a bomb fails with a reason before it fills memory.
 */
import yauzl from 'yauzl';
import { Parser } from 'htmlparser2';
import { ExtractionError, type ExtractLimits } from './types.js';

function openZip(buffer: Buffer): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) =>
    yauzl.fromBuffer(buffer, { lazyEntries: true, validateEntrySizes: true, strictFileNames: false }, (err, zip) =>
      err || !zip ? reject(err ?? new Error('no zip')) : resolve(zip),
    ),
  );
}

/**
 * The entries `want` picks, inflated, keyed by name. `what` names the document in reasons ("the presentation").
 * Every entry's declared size counts towards the limit; only wanted entries are inflated, and their real
 * inflated bytes count too.
 */
export async function readZipParts(bytes: Uint8Array, limits: ExtractLimits, what: string, want: (name: string) => boolean): Promise<Map<string, Buffer>> {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let zip: yauzl.ZipFile;
  try {
    zip = await openZip(buffer);
  } catch {
    throw new ExtractionError(`${what} is damaged (its zip structure cannot be read)`);
  }
  const parts = new Map<string, Buffer>();
  const mb = Math.round(limits.maxUncompressedBytes / 1048576);
  try {
    if (zip.entryCount > limits.maxZipEntries) {
      throw new ExtractionError(`${what} has ${zip.entryCount} parts; at most ${limits.maxZipEntries} are allowed`);
    }
    let declared = 0;
    let inflated = 0;
    await new Promise<void>((resolve, reject) => {
      zip.on('error', reject);
      zip.on('end', resolve);
      zip.on('entry', (entry: yauzl.Entry) => {
        declared += entry.uncompressedSize;
        if (declared > limits.maxUncompressedBytes) {
          reject(new ExtractionError(`${what} would inflate to more than ${mb} MB (a zip bomb?)`));
          return;
        }
        if (entry.fileName.endsWith('/') || !want(entry.fileName)) {
          zip.readEntry();
          return;
        }
        zip.openReadStream(entry, (err, stream) => {
          if (err || !stream) return reject(err ?? new Error('unreadable entry'));
          const chunks: Buffer[] = [];
          stream.on('data', (chunk: Buffer) => {
            inflated += chunk.length;
            if (inflated > limits.maxUncompressedBytes) stream.destroy(new ExtractionError(`${what} inflates far beyond its size (a zip bomb?)`));
            else chunks.push(chunk);
          });
          stream.on('error', reject);
          stream.on('end', () => {
            parts.set(entry.fileName, Buffer.concat(chunks));
            zip.readEntry();
          });
        });
      });
      zip.readEntry();
    }).catch((error: unknown) => {
      if (error instanceof ExtractionError) throw error;
      throw new ExtractionError(`${what} is damaged (${(error as Error).message.slice(0, 120)})`);
    });
  } finally {
    zip.close();
  }
  return parts;
}

export interface XmlHandlers {
  open?(name: string, attrs: Record<string, string>): void;
  close?(name: string): void;
  text?(text: string): void;
}

/** Deepest XML nesting accepted (see MAX_HTML_DEPTH in html.ts: htmlparser2's cost per tag grows with depth). */
const MAX_XML_DEPTH = 512;

/** Streams an XML part through `handlers` (htmlparser2 in XML mode: no DTDs, no external entities). */
export function walkXml(xml: Buffer | string, handlers: XmlHandlers, what: string): void {
  let depth = 0;
  let tooDeep = false;
  const parser = new Parser(
    {
      onopentag(name, attrs) {
        if (++depth > MAX_XML_DEPTH) {
          tooDeep = true;
          parser.pause();
          return;
        }
        handlers.open?.(name, attrs);
      },
      onclosetag(name) {
        depth--;
        handlers.close?.(name);
      },
      ontext(text) {
        handlers.text?.(text);
      },
    },
    { xmlMode: true, decodeEntities: true },
  );
  parser.end(typeof xml === 'string' ? xml : xml.toString('utf8'));
  if (tooDeep) throw new ExtractionError(`${what} nests its elements more than ${MAX_XML_DEPTH} deep`);
}

/** `r:id` → target path, from a `.rels` part, resolved against the folder the part describes lives in. */
export function relationships(rels: Buffer | undefined, baseDir: string): Map<string, { target: string; type: string }> {
  const out = new Map<string, { target: string; type: string }>();
  if (!rels) return out;
  walkXml(
    rels,
    {
      open(name, attrs) {
        if (name !== 'Relationship' || !attrs.Id || !attrs.Target || attrs.TargetMode === 'External') return;
        out.set(attrs.Id, { target: resolvePath(baseDir, attrs.Target), type: attrs.Type ?? '' });
      },
    },
    'the document',
  );
  return out;
}

/** `ppt/slides` + `../notesSlides/n1.xml` → `ppt/notesSlides/n1.xml`; a leading `/` is from the package root. */
export function resolvePath(baseDir: string, target: string): string {
  const parts = target.startsWith('/') ? [] : baseDir.split('/').filter(Boolean);
  for (const piece of target.split('/')) {
    if (piece === '' || piece === '.') continue;
    if (piece === '..') parts.pop();
    else parts.push(piece);
  }
  return parts.join('/');
}
