/**
 * EPUB: the chapters (XHTML) in spine order, each through the HTML extractor;
 * a chapter that does not open with a heading gets one from its <title> (or
 * "Chapter n"), so every passage carries its chapter in its heading path.
 * Images, fonts and styles are never inflated.
 */
import { extractHtml } from './html.js';
import { readZipParts, resolvePath, walkXml } from './zip.js';
import { ExtractionError, type Block, type Extracted, type ExtractLimits } from './types.js';

const WHAT = 'the EPUB book';

export async function extractEpub(bytes: Uint8Array, limits: ExtractLimits): Promise<Extracted> {
  const parts = await readZipParts(bytes, limits, WHAT, (name) => /\.(xml|opf|x?html?|ncx)$/i.test(name));
  const container = parts.get('META-INF/container.xml');
  let opfPath: string | undefined;
  if (container) walkXml(container, { open: (n, a) => void (n === 'rootfile' && !opfPath && (opfPath = a['full-path'])) }, WHAT);
  const opf = opfPath ? parts.get(opfPath) : undefined;
  if (!opfPath || !opf) throw new ExtractionError('the EPUB book has no package document (META-INF/container.xml names none that exists)');
  const base = opfPath.includes('/') ? opfPath.slice(0, opfPath.lastIndexOf('/')) : '';
  const manifest = new Map<string, string>();
  const spine: string[] = [];
  let title = '';
  let inTitle = false;
  walkXml(
    opf,
    {
      open(name, attrs) {
        if (name === 'item' && attrs.id && attrs.href) manifest.set(attrs.id, resolvePath(base, decodeURIComponent(attrs.href)));
        else if (name === 'itemref' && attrs.idref && attrs.linear !== 'no') spine.push(attrs.idref);
        else if (name === 'dc:title' && !title) inTitle = true;
      },
      text: (t) => void (inTitle && (title += t)),
      close: (name) => void (name === 'dc:title' && (inTitle = false)),
    },
    WHAT,
  );
  if (spine.length > limits.maxPages) throw new ExtractionError(`the EPUB book has ${spine.length} chapters; at most ${limits.maxPages} are indexed`);
  const blocks: Block[] = [];
  for (const [i, id] of spine.entries()) {
    const path = manifest.get(id);
    const xhtml = path ? parts.get(path) : undefined;
    if (!xhtml) continue;
    const chapter = extractHtml(xhtml.toString('utf8'));
    if (!chapter.blocks.some((b) => b.text.trim())) continue;
    if (chapter.blocks[0]?.kind !== 'heading') blocks.push({ kind: 'heading', level: 1, text: chapter.title || `Chapter ${i + 1}` });
    blocks.push(...chapter.blocks);
  }
  return { blocks, title: title.replace(/\s+/g, ' ').trim() || undefined };
}
