/**
 * RTF (`{\rtf1 …`), read by rtf-stream-parser: its tokenizer and its plain-text
 * converter (code pages, `\uN` with its fallback skipped, `\'hh` escapes, font
 * charsets, the ignorable `{\*…}` destinations and the font, colour and style
 * tables). The converter prints every other destination's text, so the ones
 * that hold no body text are dropped here too: document info (title, author),
 * pictures and embedded objects (hex), field instructions (`HYPERLINK "…"`;
 * the field's shown text stays), running headers and footers, and Word's list,
 * revision and theme tables. Each `\par` ends a paragraph; RTF has no pages or
 * headings that survive without the styles, so neither is kept.
 */
import { Readable } from 'node:stream';
import { Tokenize } from 'rtf-stream-parser';
import { ToPlainText } from 'rtf-stream-parser/dist/src/ToPlainText.js';
import type { ProcessTokensGlobalState } from 'rtf-stream-parser/dist/src/ProcessTokens.types.js';
import type { FeatureHandler } from 'rtf-stream-parser/dist/src/features/types.js';
import { ExtractionError, type Block, type Extracted, type ExtractLimits } from './types.js';

const NOT_BODY_TEXT = new Set([
  'info',
  'pict',
  'object',
  'objdata',
  'fldinst',
  'header',
  'headerl',
  'headerr',
  'headerf',
  'footer',
  'footerl',
  'footerr',
  'footerf',
  'listtable',
  'listoverridetable',
  'revtbl',
  'rsidtbl',
  'filetbl',
  'xmlnstbl',
  'themedata',
  'colorschememapping',
  'datastore',
  'latentstyles',
  'pgdsctbl',
  'nonshppict',
  'shppict',
  'bkmkstart',
  'bkmkend',
  'xe',
  'tc',
]);

const dropNonBodyText: FeatureHandler<ProcessTokensGlobalState> = {
  outputDataFilter: (global) => {
    const dests = global._state.allDestinations;
    if (!dests) return;
    // allDestinations is a prototype chain of the enclosing groups' destinations: `in` sees them all.
    for (const d of NOT_BODY_TEXT) if (d in dests) return true;
  },
};

class RtfToText extends ToPlainText {
  constructor() {
    super({ decode, warn: () => {} });
    this._featureHandlers.push(dropNonBodyText);
  }
}

/** `cp1252` → TextDecoder's windows-1252 and its kin; code pages it does not know read as Latin-1. */
function decode(buf: Buffer, encoding: string): string {
  const label = encoding === 'cp65001' ? 'utf-8' : encoding;
  try {
    return new TextDecoder(label).decode(buf);
  } catch {
    return buf.toString('latin1');
  }
}

/**
 * Word's deepest real nesting (tables in tables, fields in fields) stays in the tens. The parser's
 * field handling grows faster than quadratically with depth (8,000 nested fields ran for 32 s), so
 * a file nested past this is refused up front instead of running into the extraction timeout.
 */
export const MAX_RTF_GROUP_DEPTH = 1000;

/** Deepest `{` nesting, skipping `\{` `\}` escapes and `\binN` raw data (which may hold any byte). */
export function rtfGroupDepth(bytes: Uint8Array): number {
  let depth = 0;
  let max = 0;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (b === 0x5c /* \ */) {
      if (bytes[i + 1] === 0x62 && bytes[i + 2] === 0x69 && bytes[i + 3] === 0x6e /* bin */) {
        let j = i + 4;
        let n = 0;
        while (j < bytes.length && bytes[j]! >= 0x30 && bytes[j]! <= 0x39 && n < 1e10) n = n * 10 + (bytes[j++]! - 0x30);
        if (bytes[j] === 0x20) j++;
        i = j + n - 1;
      } else {
        i++;
      }
    } else if (b === 0x7b /* { */) {
      if (++depth > max) max = depth;
    } else if (b === 0x7d /* } */) {
      if (depth > 0) depth--;
    }
  }
  return max;
}

export async function extractRtf(bytes: Uint8Array, limits: ExtractLimits): Promise<Extracted> {
  const depth = rtfGroupDepth(bytes);
  if (depth > MAX_RTF_GROUP_DEPTH) {
    throw new ExtractionError(`the RTF file nests groups ${depth} deep (at most ${MAX_RTF_GROUP_DEPTH} are read)`);
  }
  let text = '';
  try {
    await new Promise<void>((resolve, reject) => {
      const out = Readable.from([Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)])
        .pipe(new Tokenize())
        .on('error', reject)
        .pipe(new RtfToText())
        .on('error', reject);
      out.on('data', (chunk: Buffer | string) => {
        text += String(chunk);
        // Bounded: a document past the text limit stops here rather than after the whole file.
        if (text.length > limits.maxTextChars) {
          reject(new ExtractionError(`the document holds more than ${limits.maxTextChars} characters of text`));
          out.destroy();
        }
      });
      out.on('end', resolve);
    });
  } catch (error) {
    if (error instanceof ExtractionError) throw error;
    throw new ExtractionError(`the RTF file cannot be read (${(error as Error).message.slice(0, 120)})`);
  }
  const blocks: Block[] = text
    .split(/\r\n|\r|\n/)
    .map((line) => line.replace(/[\t ]+/g, ' ').trim())
    .filter((line) => line !== '')
    .map((line) => ({ kind: 'paragraph', text: line }));
  return { blocks };
}
