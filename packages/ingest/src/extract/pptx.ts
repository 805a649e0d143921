/**
 * PowerPoint (PPTX): each slide's text in slide order, its title as a
 * heading, then its speaker notes; the slide number is the passage's "page".
 * The slide order comes from presentation.xml (not from the part names:
 * slide7.xml may be shown second).
 */
import { readZipParts, relationships, walkXml } from './zip.js';
import { ExtractionError, type Block, type Extracted, type ExtractLimits } from './types.js';

const WHAT = 'the presentation';
const NOTES_REL = /\/notesSlide$/;

interface SlideText {
  title: string;
  paragraphs: string[];
}

/** Paragraphs (`a:p`) of a slide or notes part; the text of title placeholders apart. Skips slide-number and date fields. */
function slideText(xml: Buffer): SlideText {
  const out: SlideText = { title: '', paragraphs: [] };
  let inShapeTitle = false;
  let shapeDepth = 0;
  let paragraph: string | undefined;
  let inText = false;
  let skipPlaceholder = false;
  walkXml(
    xml,
    {
      open(name, attrs) {
        if (name === 'p:sp') {
          shapeDepth++;
          inShapeTitle = false;
          skipPlaceholder = false;
        } else if (name === 'p:ph' && shapeDepth > 0) {
          inShapeTitle = attrs.type === 'title' || attrs.type === 'ctrTitle';
          // Slide numbers, dates and footers repeat on every slide: noise in search.
          skipPlaceholder = attrs.type === 'sldNum' || attrs.type === 'dt' || attrs.type === 'ftr' || attrs.type === 'sldImg';
        } else if (name === 'a:p') paragraph = '';
        else if (name === 'a:t') inText = true;
        else if (name === 'a:br' && paragraph !== undefined) paragraph += ' ';
        else if (name === 'a:tab' && paragraph !== undefined) paragraph += '\t';
      },
      text(text) {
        if (inText && paragraph !== undefined) paragraph += text;
      },
      close(name) {
        if (name === 'a:t') inText = false;
        else if (name === 'a:p') {
          const t = (paragraph ?? '').replace(/\s+/g, ' ').trim();
          paragraph = undefined;
          if (!t || skipPlaceholder) return;
          if (inShapeTitle) out.title = out.title ? `${out.title} ${t}` : t;
          else out.paragraphs.push(t);
        } else if (name === 'p:sp') shapeDepth--;
      },
    },
    WHAT,
  );
  return out;
}

export async function extractPptx(bytes: Uint8Array, limits: ExtractLimits): Promise<Extracted> {
  const parts = await readZipParts(bytes, limits, WHAT, (name) => name.startsWith('ppt/') && /\.(xml|rels)$/.test(name));
  const presentation = parts.get('ppt/presentation.xml');
  if (!presentation) throw new ExtractionError('the zip archive is not a PowerPoint presentation (no ppt/presentation.xml)');
  const rels = relationships(parts.get('ppt/_rels/presentation.xml.rels'), 'ppt');
  const order: string[] = [];
  walkXml(
    presentation,
    {
      open(name, attrs) {
        const target = name === 'p:sldId' ? rels.get(attrs['r:id'] ?? '')?.target : undefined;
        if (target) order.push(target);
      },
    },
    WHAT,
  );
  if (order.length > limits.maxPages) throw new ExtractionError(`the presentation has ${order.length} slides; at most ${limits.maxPages} are indexed`);
  const blocks: Block[] = [];
  for (const [i, path] of order.entries()) {
    const page = i + 1;
    const xml = parts.get(path);
    if (!xml) continue;
    const slide = slideText(xml);
    blocks.push({ kind: 'heading', level: 1, text: slide.title ? `Slide ${page}: ${slide.title}` : `Slide ${page}`, page });
    for (const p of slide.paragraphs) blocks.push({ kind: 'paragraph', text: p, page });
    const dir = path.slice(0, path.lastIndexOf('/'));
    const file = path.slice(path.lastIndexOf('/') + 1);
    const slideRels = relationships(parts.get(`${dir}/_rels/${file}.rels`), dir);
    const notesPath = [...slideRels.values()].find((r) => NOTES_REL.test(r.type))?.target;
    const notes = notesPath && parts.get(notesPath) ? slideText(parts.get(notesPath)!) : undefined;
    if (notes && notes.paragraphs.length > 0) {
      blocks.push({ kind: 'heading', level: 2, text: 'Speaker notes', page });
      for (const p of notes.paragraphs) blocks.push({ kind: 'paragraph', text: p, page });
    }
  }
  return { blocks, pageCount: order.length };
}
